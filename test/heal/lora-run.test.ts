// `shorten lora` end to end on stories260K with Alpaca rows: a PEFT adapter folder that reads back,
// keys for every Linear of every block, the best adapter kept, and `shorten merge` on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { readPeftAdapter } from '../../src/formats/peft-adapter.js';
import { loadModel } from '../../src/formats/load.js';
import { SHARED, STORIES260K_BIN } from '../helpers/fixtures.js';

test('lora on Alpaca rows writes a PEFT adapter that merge folds into the weights', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-lora-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'run');
  const data = join(SHARED, 'corpus/instruct/rasbt_instruction-data.json');
  const stdout = process.stdout.write;
  await buildProgram()
    .parseAsync(
      [
        'lora',
        STORIES260K_BIN,
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
  assert.equal(adapter.config.base_model_name_or_path, STORIES260K_BIN);
  assert.ok(existsSync(join(out, 'best', 'adapter_model.safetensors')));
  assert.ok(existsSync(join(out, 'checkpoints', 'step-0000002', 'state.json')));
  const b = adapter.pairs.get('model.layers.4.mlp.down_proj.weight')!.b.data;
  assert.ok(
    b.some((v) => v !== 0),
    'B moved away from zero',
  );

  const merged = join(dir, 'merged');
  await buildProgram().parseAsync(['merge', STORIES260K_BIN, out, '--out', merged], { from: 'user' });
  const before = loadModel(STORIES260K_BIN).weights.tensors.get('model.layers.4.mlp.down_proj.weight')!;
  const after = loadModel(merged).weights.tensors.get('model.layers.4.mlp.down_proj.weight')!;
  assert.deepEqual(after.shape, before.shape);
  assert.ok(
    after.data.some((v, i) => v !== before.data[i]),
    'the merged weight differs from the base',
  );
});
