// SIGKILLs `shorten prune` and `shorten cpt` while they write, then checks that the target holds
// nothing or a complete earlier output, that no temporary outlives the next write, and that
// `cpt --resume` finishes the killed run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import { loadModel } from '../../src/formats/load.js';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';
import { writeProjectStories } from '../helpers/project-data.js';
import { DEFAULT_TOKENIZER, smallTwinFiles } from '../helpers/project-models.js';
import { mulberry32 } from '../helpers/random.js';

const CLI = fileURLToPath(new URL('./shorten-cli.ts', import.meta.url));
let dir = '';
let model = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shorten-kill-'));
  model = join(dir, 'model');
  // Large enough (about 60 MB) that writing and syncing it takes a while to land a kill in.
  const weights = syntheticLlama(
    { vocabSize: 512, hiddenSize: 512, intermediateSize: 1376, numLayers: 6, numHeads: 8, numKvHeads: 8 },
    { seed: 3 },
  );
  saveModelWithTokenizer(weights, loadTokenizerJson(DEFAULT_TOKENIZER), model, 'hf');
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the CLI; when `killWhen` turns true (polled every millisecond), SIGKILLs it after `delayMs`. */
async function shorten(
  args: string[],
  killWhen?: () => boolean,
  delayMs = 0,
): Promise<Run & { tempAtKill: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  let exited = false;
  void done.then(() => (exited = true));
  let tempAtKill = false;
  if (killWhen) {
    while (!exited && !killWhen()) await sleep(1);
    if (!exited) {
      if (delayMs > 0) await sleep(delayMs);
      child.kill('SIGKILL');
    }
  }
  const r = await done;
  if (killWhen) tempAtKill = r.signal === 'SIGKILL' && hasTemporary(dirname(args[args.indexOf('--out') + 1]));
  return { ...r, tempAtKill };
}

const isTemporary = (name: string): boolean => name.startsWith('.') && name.includes('.tmp-');

function hasTemporary(folder: string): boolean {
  return existsSync(folder) && readdirSync(folder).some(isTemporary);
}

/** Kills prune mid-write several times; the target must always be absent or a complete model. */
async function killPrune(out: string, layersBefore: number): Promise<number> {
  const random = mulberry32(out.length);
  let midWrite = 0;
  for (let round = 0; round < 2; round++) {
    const r = await shorten(
      ['prune', model, '--blocks', String(1 + round), '--out', out, '--json'],
      () => hasTemporary(dirname(out)),
      Math.floor(random() * 20),
    );
    if (r.tempAtKill) midWrite++;
    if (r.signal !== 'SIGKILL') assert.equal(r.code, 0, r.stderr);
    // Either nothing yet, or a complete model: the earlier one (all blocks kept) or the new one.
    if (existsSync(out)) {
      const layers = loadModel(out).weights.config.numLayers;
      assert.ok(layers === layersBefore || layers === 5, `${out}: ${layers} blocks`);
    }
    // Nothing that looks like output: temporaries are hidden names beside the target.
    for (const name of readdirSync(dirname(out)))
      assert.ok(
        isTemporary(name) || name.startsWith(basename(out).replace(/\.gguf$/, '')),
        `stray file ${name}`,
      );
  }
  // The next complete write clears what the killed writers left.
  const last = await shorten(['prune', model, '--blocks', '4', '--out', out, '--json']);
  assert.equal(last.code, 0, last.stderr);
  assert.equal(loadModel(out).weights.config.numLayers, 5);
  assert.deepEqual(readdirSync(dirname(out)).filter(isTemporary), []);
  return midWrite;
}

test('SIGKILL during prune leaves the previous HF folder or GGUF file whole, or nothing', async (t) => {
  const hfOut = join(dir, 'hf-out', 'short');
  const ggufOut = join(dir, 'gguf-out', 'short.gguf');
  // A first complete output (6 blocks: --blocks with an empty plan is not allowed, so remove block 5).
  for (const out of [hfOut, ggufOut]) {
    const first = await shorten(['prune', model, '--blocks', '5', '--out', out, '--json']);
    assert.equal(first.code, 0, first.stderr);
  }
  const midWrite = (await killPrune(hfOut, 5)) + (await killPrune(ggufOut, 5));
  // The kills are timed to the temporary's appearance; most land before the rename.
  t.diagnostic(`${midWrite} of 4 kills landed while a temporary existed`);
  assert.ok(midWrite >= 1, `no kill landed while a temporary existed (${midWrite} of 4)`);
});

test('SIGKILL during cpt checkpoints keeps every checkpoint whole, and --resume finishes the run', async () => {
  const text = writeProjectStories(join(dir, 'text.txt'), 24);
  const run = join(dir, 'cpt-run');
  const args = [
    'cpt',
    smallTwinFiles(dir).gguf,
    '--text',
    text,
    '--out',
    run,
    '--max-steps',
    '8',
    '--save-every',
    '1',
  ];
  const small = [
    '--batch-size',
    '2',
    '--micro-batch',
    '2',
    '--seq-len',
    '32',
    '--warmup-steps',
    '1',
    '--eval-every',
    '100',
    '--json',
  ];
  const checkpoints = join(run, 'checkpoints');
  const killed = await shorten(
    [...args, ...small],
    () =>
      existsSync(checkpoints) && readdirSync(checkpoints).filter((n) => n.startsWith('step-')).length >= 2,
    3,
  );
  assert.equal(killed.signal, 'SIGKILL', `cpt finished before the kill: ${killed.stderr}`);
  const steps = readdirSync(checkpoints).filter((n) => /^step-\d+$/.test(n));
  assert.ok(steps.length >= 2);
  for (const s of steps) {
    const state = JSON.parse(readFileSync(join(checkpoints, s, 'state.json'), 'utf8')) as { step: number };
    assert.equal(`step-${String(state.step).padStart(7, '0')}`, s);
    assert.ok(readSafetensors(join(checkpoints, s, 'trainable.safetensors')).tensors.size > 0);
  }
  // No final model yet: a killed run has not written one.
  assert.equal(existsSync(join(run, 'model.safetensors')), false);
  const resumed = await shorten([...args, ...small, '--resume', run]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const log = readFileSync(join(run, 'train_log.jsonl'), 'utf8').trim().split('\n');
  const lastStep = Math.max(...log.map((l) => (JSON.parse(l) as { step?: number }).step ?? 0));
  assert.equal(lastStep, 8);
  assert.equal(loadModel(run).weights.config.numLayers, 5);
  assert.deepEqual(readdirSync(checkpoints).filter(isTemporary), []);
});
