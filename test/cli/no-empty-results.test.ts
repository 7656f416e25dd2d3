// Requests that would answer nonsense (a NaN perplexity, an empty order, an accuracy over no
// question, training on nothing, distilling from a teacher with another vocabulary) fail like
// `prune --remove 90%`: one line naming the numbers and the flag to change, exit 2, and no work done first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { writeProjectStories, writeSyntheticTasks } from '../helpers/project-data.js';
import { DEFAULT_MODEL, DEFAULT_TOKENIZER, smallTwin, smallTwinFiles } from '../helpers/project-models.js';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import type { LlamaConfig } from '../../src/model/config.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';

const dir = mkdtempSync(join(tmpdir(), 'shorten-refusals-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const twin = smallTwinFiles(join(dir, 'model')).gguf; // 5 blocks: the default 4 + 2 protected leave none
const stories = writeProjectStories(join(dir, 'stories.txt'), 6);

/** Runs the CLI in this process; returns the exit code and what it wrote on stderr. */
async function shorten(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  const out = process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await main(['node', 'shorten', ...args]);
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stderr };
}

function assertRefused(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

test('eval ppl on a text shorter than one segment names the token count and --seq-len', async () => {
  const short = join(dir, 'short.txt');
  writeFileSync(short, 'Once upon a time, a cat sat.');
  assertRefused(
    await shorten(['eval', 'ppl', DEFAULT_MODEL, '--text', short]),
    /short\.txt: \d+ tokens make no whole segment of --seq-len 128.*--seq-len/,
  );
});

test('an iterative score with no candidate block names the protection flags', async () => {
  assertRefused(
    await shorten(['score', twin, '--criterion', 'ppl', '--iterative', '--calib', stories]),
    /--iterative: 5 blocks with --protect-first 4 --protect-last 2 leave no candidate block/,
  );
});

test('a calibration file too small for the settings names --samples and --seq-len', async () => {
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  assertRefused(
    await shorten(['score', twin, '--criterion', 'ppl', '--calib', empty]),
    /empty\.txt: no documents/,
  );
  assertRefused(
    await shorten(['score', twin, '--criterion', 'ppl', '--calib', stories, '--samples', '50']),
    /at least 50 documents.*--samples/,
  );
});

test('run checks every stage against the model before the first: no scoring for an impossible prune', async () => {
  const out = join(dir, 'run');
  const t0 = performance.now();
  const r = await shorten(['run', twin, '--out', out, '--quiet']);
  assertRefused(r, /--remove 20% asks for 1 of 5 blocks but only 0 are candidates/);
  assert.ok(!existsSync(join(out, 'score')), 'the score stage did not start');
  assert.ok(performance.now() - t0 < 10_000);
  assertRefused(
    await shorten([
      'run',
      twin,
      '--out',
      out,
      '--remove',
      '1',
      '--protect-first',
      '1',
      '--protect-last',
      '1',
      '--seq-len',
      '600',
    ]),
    /--seq-len 600 exceeds the model's context of 512/,
  );
});

test('zero-shot with --limit 0 is refused', async () => {
  const tasks = writeSyntheticTasks(join(dir, 'tasks'));
  assertRefused(
    await shorten(['eval', 'zeroshot', twin, '--tasks', 'piqa', '--data-dir', tasks, '--limit', '0']),
    /--limit must be an integer ≥ 1/,
  );
});

test('a LoRA run whose every row is masked names the cutoff and --train-on-inputs', async () => {
  const rows = join(dir, 'rows.json');
  writeFileSync(
    rows,
    JSON.stringify([{ instruction: 'Tell a long story about a cat.', input: '', output: 'Yes.' }]),
  );
  assertRefused(
    await shorten(['lora', twin, '--data', rows, '--out', join(dir, 'lora'), '--cutoff', '16']),
    /all 1 rows have nothing to score: every prompt fills the 16-token cutoff; raise --cutoff/,
  );
});

test('distill from a teacher with another vocabulary, or an unrelated one, names both and trains nothing', async () => {
  const tokenizer = loadTokenizerJson(DEFAULT_TOKENIZER);
  const twinConfig = smallTwin().weights.config;
  const write = (name: string, over: Partial<LlamaConfig>) => {
    const folder = join(dir, name);
    saveModelWithTokenizer(syntheticLlama({ ...twinConfig, ...over }, { seed: 5 }), tokenizer, folder, 'hf');
    return folder;
  };
  const out = join(dir, 'distill');
  const distill = (teacher: string) =>
    shorten(['distill', twin, '--teacher', teacher, '--text', stories, '--out', out, '--max-steps', '1']);
  assertRefused(
    await distill(write('vocab-600', { vocabSize: 600 })),
    /teacher .*vocab-600 and student .*twin\.gguf have different vocabularies: the teacher's has 600 entries/,
  );
  assertRefused(
    await distill(write('wide', { hiddenSize: 96, headDim: 12 })),
    /cannot be the model student .*twin\.gguf was pruned from: teacher 5 blocks, hidden 96, .* \(hidden width 64 ≠ 96/,
  );
  assert.ok(!existsSync(join(out, 'train_log.jsonl')), 'nothing trained');
});
