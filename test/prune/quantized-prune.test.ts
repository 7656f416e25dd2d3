// Pruning a quantized GGUF gives a quantized GGUF: every kept tensor byte for byte, blocks renumbered,
// block_count and every per-layer metadata array cut to the kept blocks, and the file loads back as
// the original model with those blocks removed. On a K-quant mix the project makes itself, and on
// llama.cpp's own Q4_K_M file when the fixtures are present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGgufHeader, readGguf } from '../../src/formats/gguf.js';
import type { GgufMetadata } from '../../src/formats/gguf-metadata.js';
import { writeGguf } from '../../src/formats/gguf-writer.js';
import { loadModel } from '../../src/formats/load.js';
import { castMatrices } from '../../src/model/cast.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { removeBlocks } from '../../src/prune/cut.js';
import { cutModel, planDepthPrune, pruneRecord, writePrunedModel } from '../../src/prune/depth-prune.js';
import { tempDir } from '../formats/temp-dir.js';
import { QUANTIZED_DIR, missingFixture } from '../helpers/fixtures.js';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';
import { typedTokenizerKeys } from '../../src/pipeline/gguf-tokenizer-keys.js';

const Q4_K_M = join(QUANTIZED_DIR, 'kq256-Q4_K_M.gguf');
const DEFAULT_TOKENIZER = new URL('../../models/default/tokenizer.json', import.meta.url).pathname;

/** Raw bytes of each tensor by GGUF name. */
function tensorBytes(path: string): Map<string, Buffer> {
  const file = readFileSync(path);
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const h = parseGgufHeader(buffer, path);
  return new Map(
    h.tensors.map((t) => [
      t.name,
      file.subarray(h.dataStart + t.offset, h.dataStart + t.offset + t.byteSize),
    ]),
  );
}

/** A Q4_K_M-like mix of our own: q4_K for most matrices, q6_K for down_proj and the classifier. */
function kQuantMix(w: ModelWeights): ModelWeights {
  const q4 = castMatrices(w, 'q4_k');
  const q6 = castMatrices(w, 'q6_k');
  const tensors = new Map(q4.tensors);
  for (const name of tensors.keys())
    if (/down_proj|lm_head/.test(name)) tensors.set(name, q6.tensors.get(name)!);
  return { config: w.config, tensors };
}

function checkPruned(source: string, out: string, removed: number[]): void {
  const before = tensorBytes(source);
  const after = tensorBytes(out);
  const L = readGguf(source).weights.config.numLayers;
  const kept = Array.from({ length: L }, (_, i) => i).filter((i) => !removed.includes(i));
  let compared = 0;
  for (const [name, bytes] of before) {
    const m = /^blk\.(\d+)\.(.*)$/.exec(name);
    if (m && removed.includes(Number(m[1]))) continue;
    const renamed = m ? `blk.${kept.indexOf(Number(m[1]))}.${m[2]}` : name;
    const got = after.get(renamed);
    assert.ok(got, `${renamed} is in the pruned file`);
    assert.ok(got.equals(bytes), `${name} → ${renamed}: bytes differ`);
    compared++;
  }
  assert.equal(after.size, compared, 'no extra tensors');
  const a = readGguf(out);
  const md: GgufMetadata = a.metadata;
  assert.equal(md.get('llama.block_count')?.value, kept.length);
  for (const [key, v] of md)
    if (v.type === 'array' && key.startsWith('llama.'))
      assert.equal(v.value.length, kept.length, `${key} has one entry per kept block`);
  // Loaded again: the original model with those blocks removed, tensor for tensor.
  const expected = removeBlocks(readGguf(source).weights, removed);
  assert.deepEqual(a.weights.config, {
    ...expected.config,
    ropeFreqFactors: a.weights.config.ropeFreqFactors,
  });
  for (const [name, t] of expected.tensors) {
    const u = a.weights.tensors.get(name)!;
    assert.equal(u.dtype, t.dtype, name);
    assert.deepEqual(
      Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      name,
    );
  }
}

function prune(source: string, out: string, blocks: number[]): void {
  const m = openModel(source);
  const opts = { unit: 'block' as const, blocks, protectFirst: 0, protectLast: 0, calib: null };
  const plan = planDepthPrune(m.weights, opts);
  const pruned = cutModel(m.weights, 'block', plan.removed);
  writePrunedModel(pruned, m.tokenizer, out, 'gguf', pruneRecord(source, m.weights, pruned, plan, opts), m);
}

test('a pruned K-quant GGUF (made here) keeps every tensor byte for byte and cuts per-layer arrays', (t) => {
  const dir = tempDir(t);
  const tokenizer = loadTokenizerJson(DEFAULT_TOKENIZER);
  const config = {
    hiddenSize: 256,
    intermediateSize: 512,
    numLayers: 5,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize: tokenizer.vocabSize,
  };
  const w = kQuantMix(syntheticLlama(config, { seed: 3, std: 0.05 }));
  const source = join(dir, 'mix.gguf');
  const perLayer: GgufMetadata = new Map([
    [
      'llama.attention.sliding_window_pattern',
      { type: 'array', itemType: 'bool', value: [true, false, true, false, true] },
    ],
    ['llama.custom_per_layer', { type: 'array', itemType: 'u32', value: [10, 11, 12, 13, 14] }],
  ]);
  writeGguf(source, w, {
    metadata: new Map([...perLayer, ...typedTokenizerKeys(tokenizer.toGgufMetadata())]),
  });
  prune(source, join(dir, 'pruned.gguf'), [1, 3]);
  checkPruned(source, join(dir, 'pruned.gguf'), [1, 3]);
  const md = readGguf(join(dir, 'pruned.gguf')).metadata;
  assert.deepEqual(md.get('llama.custom_per_layer')?.value, [10, 12, 14]);
  assert.deepEqual(md.get('llama.attention.sliding_window_pattern')?.value, [true, true, true]);
  // It runs.
  const inf = inferenceOf(loadModel(join(dir, 'pruned.gguf')));
  assert.ok(inf.forward(Int32Array.of(1, 5, 9), 1, inf.newCache(1, 4)).every(Number.isFinite));
});

test(
  "llama.cpp's own Q4_K_M file, pruned, keeps every tensor byte for byte",
  { skip: missingFixture(Q4_K_M) },
  (t) => {
    const dir = tempDir(t);
    prune(Q4_K_M, join(dir, 'pruned.gguf'), [2, 4]);
    checkPruned(Q4_K_M, join(dir, 'pruned.gguf'), [2, 4]);
  },
);
