// `shorten lora` end to end on a 5-block model with Alpaca rows (the project's random twin with
// synthetic rows, and stories260K with real rows when the fixtures are there): a PEFT adapter folder that reads back,
// keys for every Linear of every block, the best adapter kept, `shorten merge` on it, and
// `eval ppl --adapter` agreeing with the merged copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { readPeftAdapter } from '../../src/formats/peft-adapter.js';
import { loadModel } from '../../src/formats/load.js';
import { ALPACA_ROWS, missingFixture, STORIES260K_BIN, TINYSTORIES_VAL } from '../helpers/fixtures.js';
import { writeInstructionRows, writeProjectStories } from '../helpers/project-data.js';
import { smallTwinFiles } from '../helpers/project-models.js';

async function stdoutOf(args: string[]): Promise<string> {
  const write = process.stdout.write;
  let said = '';
  process.stdout.write = ((chunk: string) => {
    said += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return said;
}

/** A 5-block model, Alpaca rows and story text, written into `dir` when the project makes them. */
interface Subject {
  name: string;
  skip: string | false;
  prepare(dir: string): { model: string; data: string; text: string };
}

const SUBJECTS: Subject[] = [
  {
    name: 'the random twin, synthetic rows',
    skip: false,
    prepare: (dir) => ({
      model: smallTwinFiles(dir).gguf,
      data: writeInstructionRows(join(dir, 'rows.json')),
      text: writeProjectStories(join(dir, 'stories.txt'), 8),
    }),
  },
  {
    name: 'stories260K, real rows',
    skip: missingFixture(STORIES260K_BIN, ALPACA_ROWS, TINYSTORIES_VAL),
    prepare: () => ({ model: STORIES260K_BIN, data: ALPACA_ROWS, text: TINYSTORIES_VAL }),
  },
];

for (const subject of SUBJECTS)
  test(
    `${subject.name}: lora on Alpaca rows writes a PEFT adapter that merge folds into the weights`,
    { skip: subject.skip },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'shorten-lora-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const out = join(dir, 'run');
      const { model, data, text } = subject.prepare(dir);
      const stdout = process.stdout.write;
      await buildProgram()
        .parseAsync(
          [
            'lora',
            model,
            '--data',
            data,
            '--out',
            out,
            '--cutoff',
            '160',
            '--batch-size',
            '4',
            '--micro-batch',
            '2',
            '--max-steps',
            '3',
            '--val-size',
            '4',
            '--eval-every',
            '2',
            '--save-every',
            '2',
            '--lr',
            '1e-2',
            '--json',
          ],
          { from: 'user' },
        )
        .finally(() => (process.stdout.write = stdout));
      const adapter = readPeftAdapter(out);
      assert.equal(adapter.pairs.size, 5 * 7);
      assert.equal(adapter.config.base_model_name_or_path, model);
      assert.ok(existsSync(join(out, 'best', 'adapter_model.safetensors')));
      assert.ok(existsSync(join(out, 'checkpoints', 'step-0000002', 'state.json')));
      const b = adapter.pairs.get('model.layers.4.mlp.down_proj.weight')!.b.data;
      assert.ok(
        b.some((v) => v !== 0),
        'B moved away from zero',
      );

      const merged = join(dir, 'merged');
      const said = await stdoutOf(['merge', model, out, '--out', merged, '--json']);
      assert.deepEqual(JSON.parse(said), {
        model: model,
        adapter: out,
        adapted_linears: 5 * 7,
        out: merged,
        format: 'hf',
      });
      const before = loadModel(model).weights.tensors.get('model.layers.4.mlp.down_proj.weight')!;
      const after = loadModel(merged).weights.tensors.get('model.layers.4.mlp.down_proj.weight')!;
      assert.deepEqual(after.shape, before.shape);
      assert.ok(
        after.data.some((v, i) => v !== before.data[i]),
        'the merged weight differs from the base',
      );

      // --adapter folds the same adapter in memory: perplexity equals the merged copy's, and differs from the base's.
      const ppl = async (args: string[]) =>
        JSON.parse(await stdoutOf(['eval', 'ppl', ...args, '--text', text, '--limit', '4', '--json'])) as {
          nll: number;
        };
      const withAdapter = await ppl([model, '--adapter', out]);
      assert.equal(withAdapter.nll, (await ppl([merged])).nll);
      assert.notEqual(withAdapter.nll, (await ppl([model])).nll);
    },
  );
