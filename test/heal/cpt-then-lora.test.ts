// `shorten cpt --then-lora` (the paper's CPT⇒LoRA): the LoRA phase takes its own step budget, and a
// resumed run resumes the LoRA phase from its checkpoint instead of starting it over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { ADAPTER_WEIGHTS, readPeftAdapter } from '../../src/formats/peft-adapter.js';
import { ALPACA_ROWS, missingFixture, STORIES260K_BIN, TINYSTORIES_VAL } from '../helpers/fixtures.js';
import { writeInstructionRows, writeProjectStories } from '../helpers/project-data.js';
import { smallTwinFiles } from '../helpers/project-models.js';

/** A 5-block model, story text and Alpaca rows: the project's own, or the fixtures' when present. */
const SUBJECTS = [
  {
    name: 'the random twin, project text',
    skip: false as const,
    prepare: (dir: string) => ({
      model: smallTwinFiles(dir).gguf,
      text: writeProjectStories(join(dir, 'stories.txt'), 24),
      data: writeInstructionRows(join(dir, 'rows.json')),
    }),
  },
  {
    name: 'stories260K, real text',
    skip: missingFixture(STORIES260K_BIN, TINYSTORIES_VAL, ALPACA_ROWS),
    prepare: (dir: string) => {
      const text = join(dir, 'text.txt');
      writeFileSync(text, readFileSync(TINYSTORIES_VAL, 'utf8').slice(0, 40_000));
      return { model: STORIES260K_BIN, text, data: ALPACA_ROWS };
    },
  },
];

function steps(run: string): number[] {
  return readFileSync(join(run, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);
}

for (const subject of SUBJECTS)
  test(
    `${subject.name}: cpt --then-lora gives the LoRA phase --lora-max-steps and resumes it`,
    { skip: subject.skip },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'shorten-cpt-lora-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const { model, text, data } = subject.prepare(dir);
      const run = join(dir, 'run');
      const args = [
        'cpt',
        model,
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
        await buildProgram().parseAsync([...args, '--lora-max-steps', '2', '--resume', run], {
          from: 'user',
        });
        assert.deepEqual(steps(run), [1, 2, 3]);
        assert.deepEqual(steps(join(run, 'lora')), [1, 2]);
        assert.equal(statSync(firstCheckpoint).mtimeMs, firstWritten, 'LoRA resumed, not started over');
        assert.ok(
          readFileSync(join(run, 'lora', ADAPTER_WEIGHTS)).equals(whole),
          'the same adapter as unbroken',
        );
      } finally {
        process.stdout.write = write;
      }
      assert.equal(readPeftAdapter(join(run, 'lora')).pairs.size, 5 * 7);
    },
  );
