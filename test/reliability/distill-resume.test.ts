// `shorten distill` SIGKILLed after a checkpoint and resumed with --resume logs the same losses (the
// KL and CE terms too) as an unbroken run: full-parameter on the full vocabulary, and LoRA with
// dropout on the teacher's top-K through its on-disk cache (rows written by the killed process are
// read back by the resumed one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeBlocks } from '../../src/prune/cut.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { writeProjectStories } from '../helpers/project-data.js';
import { smallTwin } from '../helpers/project-models.js';

const CLI = fileURLToPath(new URL('./shorten-cli.ts', import.meta.url));
let dir = '';
let teacher = '';
let student = '';
let text = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shorten-distill-kill-'));
  const twin = smallTwin();
  teacher = join(dir, 'teacher');
  student = join(dir, 'student');
  saveModelWithTokenizer(twin.weights, twin.tokenizer, teacher, 'hf');
  saveModelWithTokenizer(removeBlocks(twin.weights, [1, 3]), twin.tokenizer, student, 'hf');
  text = writeProjectStories(join(dir, 'stories.txt'), 24);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the CLI; once `killWhen` holds (polled every millisecond) it is SIGKILLed. */
async function shorten(args: string[], killWhen?: () => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal, stderr });
    }),
  );
  if (killWhen) {
    while (!exited && !killWhen()) await sleep(1);
    if (!exited) child.kill('SIGKILL');
  }
  return done;
}

type Losses = [number, number, number, number, number | null, number | null][];

function losses(run: string): Losses {
  return readFileSync(join(run, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .map((r) => [r.step, r.loss, r.kl, r.ce, r.val_loss ?? null, r.val_kl ?? null]);
}

function checkpoints(run: string): number {
  const d = join(run, 'checkpoints');
  return existsSync(d) ? readdirSync(d).filter((n) => /^step-\d+$/.test(n)).length : 0;
}

async function killedAndResumed(name: string, extra: string[]): Promise<void> {
  const args = (out: string) => [
    'distill',
    student,
    '--teacher',
    teacher,
    '--text',
    text,
    '--out',
    out,
    '--max-steps',
    '12',
    '--save-every',
    '2',
    '--eval-every',
    '4',
    '--batch-size',
    '4',
    '--micro-batch',
    '2',
    '--seq-len',
    '32',
    '--val-size',
    '4',
    '--warmup-steps',
    '2',
    '--lr',
    '3e-3',
    '--temperature',
    '2',
    '--alpha',
    '0.5',
    '--json',
    ...extra,
  ];
  const whole = join(dir, `${name}-whole`);
  const unbroken = await shorten(args(whole));
  assert.equal(unbroken.code, 0, unbroken.stderr);
  const killed = join(dir, `${name}-killed`);
  // Killed once the second checkpoint is there (after step 4), while steps 5.. run.
  const k = await shorten(args(killed), () => checkpoints(killed) >= 2);
  assert.equal(k.signal, 'SIGKILL', `distill finished before the kill: ${k.stderr}`);
  const partial = losses(killed);
  assert.ok(partial.length >= 4 && partial.length < 12, `${partial.length} steps logged before the kill`);
  const resumed = await shorten([...args(killed), '--resume', killed]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(
    losses(killed),
    losses(whole),
    'the same losses, KL and CE terms, step by step, each once',
  );
}

test('SIGKILL after a checkpoint and --resume: the same losses as an unbroken distillation (full-parameter, full vocabulary)', () =>
  killedAndResumed('full', []));

test('SIGKILL after a checkpoint and --resume: the same losses (LoRA with dropout, top-K teacher through its cache)', () =>
  killedAndResumed('lora-topk', ['--lora', '--rank', '4', '--top-k', '16']));
