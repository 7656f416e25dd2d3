// `shorten cpt --then-lora` (the paper's CPT⇒LoRA): the LoRA phase takes its own step budget, and a
// resumed run resumes the LoRA phase from its checkpoint instead of starting it over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { ADAPTER_WEIGHTS, readPeftAdapter } from '../../src/formats/peft-adapter.js';
import { SHARED, STORIES260K_BIN, TINYSTORIES_VAL } from '../helpers/fixtures.js';

function steps(run: string): number[] {
  return readFileSync(join(run, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);
}

test('cpt --then-lora gives the LoRA phase --lora-max-steps and resumes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-cpt-lora-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text = join(dir, 'text.txt');
  writeFileSync(text, readFileSync(TINYSTORIES_VAL, 'utf8').slice(0, 40_000));
  const run = join(dir, 'run');
  const data = join(SHARED, 'corpus/instruct/rasbt_instruction-data.json');
  const args = [
    'cpt',
    STORIES260K_BIN,
    '--text',
    text,
    '--then-lora',
    data,
    '--out',
    run,
    '--max-steps',
    '3',
    '--batch-size',
    '2',
    '--micro-batch',
    '2',
    '--seq-len',
    '32',
    '--warmup-steps',
    '1',
    '--val-size',
    '2',
    '--eval-every',
    '100',
    '--save-every',
    '1',
    '--json',
  ];
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await buildProgram().parseAsync([...args, '--lora-max-steps', '2'], { from: 'user' });
    assert.deepEqual(steps(run), [1, 2, 3]);
    assert.deepEqual(steps(join(run, 'lora')), [1, 2]);
    const whole = readFileSync(join(run, 'lora', ADAPTER_WEIGHTS));
    const firstCheckpoint = join(run, 'lora', 'checkpoints', 'step-0000001', 'state.json');
    const firstWritten = statSync(firstCheckpoint).mtimeMs;
    // As if killed after LoRA's first checkpoint: its second step and its result are gone.
    rmSync(join(run, 'lora', 'checkpoints', 'step-0000002'), { recursive: true });
    rmSync(join(run, 'lora', ADAPTER_WEIGHTS));
    await buildProgram().parseAsync([...args, '--lora-max-steps', '2', '--resume', run], { from: 'user' });
    assert.deepEqual(steps(run), [1, 2, 3]);
    assert.deepEqual(steps(join(run, 'lora')), [1, 2]);
    assert.equal(statSync(firstCheckpoint).mtimeMs, firstWritten, 'LoRA resumed, not started over');
    assert.ok(readFileSync(join(run, 'lora', ADAPTER_WEIGHTS)).equals(whole), 'the same adapter as unbroken');
  } finally {
    process.stdout.write = write;
  }
  assert.equal(readPeftAdapter(join(run, 'lora')).pairs.size, 5 * 7);
});
