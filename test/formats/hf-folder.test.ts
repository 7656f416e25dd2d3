// HF folders: sharded checkpoints through model.safetensors.index.json, and folders that lie about their contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../src/formats/errors.js';
import { readHfFolder, writeHfFolder } from '../../src/formats/hf-folder.js';
import { readLlama2c } from '../../src/formats/llama2c.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import type { WeightTensor } from '../../src/model/weights.js';
import { STORIES_BIN, assertSameTensors, tempDir } from './temp-dir.js';
import { missingFixture } from '../helpers/fixtures.js';

function shardedFolder(dir: string, weightMapEdit?: (m: Record<string, string>) => void): string {
  const w = readLlama2c(STORIES_BIN).weights;
  writeHfFolder(join(dir, 'single'), w);
  const folder = join(dir, 'sharded');
  mkdirSync(folder);
  const names = [...w.tensors.keys()];
  const shards = [names.slice(0, 20), names.slice(20)];
  const weightMap: Record<string, string> = {};
  shards.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(
      join(folder, file),
      new Map(part.map((n): [string, WeightTensor] => [n, w.tensors.get(n)!])),
    );
    for (const n of part) weightMap[n] = file;
  });
  weightMapEdit?.(weightMap);
  writeFileSync(
    join(folder, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  writeFileSync(join(folder, 'config.json'), JSON.stringify(readHfFolder(join(dir, 'single')).rawConfig));
  return folder;
}

test(
  'a sharded folder reads to the same weights as a single file',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const folder = shardedFolder(dir);
    const sharded = readHfFolder(folder);
    assert.equal(sharded.files.length, 2);
    assertSameTensors(readLlama2c(STORIES_BIN).weights, sharded.weights);
  },
);

test(
  'a weight_map pointing outside the folder, to a missing shard, or disagreeing with the shards is refused',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const isFormatError = (field: RegExp) => (e: unknown) => e instanceof FormatError && field.test(e.field);
    assert.throws(
      () => readHfFolder(shardedFolder(join(dir, 'a'), (m) => (m['model.norm.weight'] = '../x.safetensors'))),
      isFormatError(/^weight_map\.model\.norm\.weight$/),
    );
    assert.throws(
      () => readHfFolder(shardedFolder(join(dir, 'b'), (m) => (m['model.norm.weight'] = 'gone.safetensors'))),
      isFormatError(/^weight_map$/),
    );
    assert.throws(
      () =>
        readHfFolder(
          shardedFolder(join(dir, 'c'), (m) => (m['extra.weight'] = 'model-00001-of-00002.safetensors')),
        ),
      isFormatError(/^extra\.weight$/),
    );
  },
);

test(
  'an unknown architecture or a missing weight is refused naming the file',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const w = readLlama2c(STORIES_BIN).weights;
    const folder = join(dir, 'hf');
    writeHfFolder(folder, w);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ architectures: ['BertModel'] }));
    assert.throws(
      () => readHfFolder(folder),
      (e: unknown) =>
        e instanceof ConfigError && e.file === join(folder, 'config.json') && e.field === 'architectures',
    );
    const missing = new Map(w.tensors);
    missing.delete('model.norm.weight');
    assert.throws(
      () => writeHfFolder(join(dir, 'bad'), { config: w.config, tensors: missing }),
      (e: unknown) => e instanceof FormatError && e.field === 'model.norm.weight',
    );
  },
);
