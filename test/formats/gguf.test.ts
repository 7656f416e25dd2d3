// GGUF reading and writing: the fixture, round trips through our writer, and hostile headers.
import { weightValues } from '../../src/tensor/weight-values.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/formats/errors.js';
import { parseGguf, readGguf } from '../../src/formats/gguf.js';
import { ByteSink } from '../../src/formats/gguf-metadata.js';
import { writeGguf } from '../../src/formats/gguf-writer.js';
import { ggmlTypeByName } from '../../src/formats/ggml-types.js';
import { STORIES_GGUF, assertSameTensors, tempDir } from './temp-dir.js';
import { missingFixture } from '../helpers/fixtures.js';

function rejects(bytes: Uint8Array, field: RegExp): void {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  assert.throws(
    () => parseGguf(buffer as ArrayBuffer, 'bad.gguf'),
    (e: unknown) => e instanceof FormatError && e.file === 'bad.gguf' && field.test(e.field),
  );
}

function headerStart(tensorCount: bigint, kvCount: bigint): ByteSink {
  const s = new ByteSink();
  s.u32(0x46554747);
  s.u32(3);
  s.u64(tensorCount);
  s.u64(kvCount);
  return s;
}

test(
  'the fixture reads with its metadata and tokenizer keys kept raw',
  { skip: missingFixture(STORIES_GGUF) },
  () => {
    const g = readGguf(STORIES_GGUF);
    assert.equal(g.version, 3);
    const tokens = g.tokenizerMetadata.get('tokenizer.ggml.tokens');
    assert.equal(tokens?.type === 'array' && tokens.value.length, 512);
    assert.equal(g.tokenizerMetadata.get('tokenizer.ggml.model')?.value, 'llama');
    assert.equal(g.weights.config.rmsNormEps, 1e-5);
    assert.equal(g.weights.config.numKvHeads, 4);
  },
);

test(
  'our GGUF writer output reads back to the same model and metadata',
  { skip: missingFixture(STORIES_GGUF) },
  (t) => {
    const g = readGguf(STORIES_GGUF);
    const out = join(tempDir(t), 'copy.gguf');
    writeGguf(out, g.weights, { metadata: g.metadata, name: 'stories260K' });
    const back = readGguf(out);
    assertSameTensors(g.weights, back.weights);
    assert.deepEqual(back.weights.config, g.weights.config);
    for (const [k, v] of g.tokenizerMetadata) assert.deepEqual(back.metadata.get(k), v, k);
    assert.equal(back.metadata.get('general.name')?.value, 'stories260K');
    // Tensor data starts aligned to 32, and the original tensor bytes (interleaved q/k) come back.
    const original = readFileSync(STORIES_GGUF);
    const written = readFileSync(out);
    const needle = original.subarray(original.length - 4096);
    assert.ok(written.includes(needle));
  },
);

test('a Q8_0 tensor stays Q8_0 at load and expands to int8 × scale', () => {
  const meta: [string, number][] = [
    ['llama.embedding_length', 32],
    ['llama.attention.head_count', 4],
    ['llama.feed_forward_length', 32],
    ['llama.block_count', 1],
    ['llama.context_length', 16],
    ['llama.vocab_size', 8],
  ];
  const s = headerStart(1n, BigInt(meta.length + 2));
  s.string('general.architecture');
  s.u32(8);
  s.string('llama');
  s.string('llama.attention.layer_norm_rms_epsilon');
  s.u32(6);
  s.f32(1e-5);
  for (const [k, v] of meta) {
    s.string(k);
    s.u32(4);
    s.u32(v);
  }
  s.string('blk.0.ffn_norm.weight');
  s.u32(1);
  s.u64(32);
  s.u32(ggmlTypeByName('q8_0')!.id);
  s.u64(0);
  s.padTo(32);
  const block = new Uint8Array(ggmlTypeByName('q8_0')!.blockBytes);
  new DataView(block.buffer).setUint16(0, 0x3800, true); // scale 0.5
  for (let j = 0; j < 32; j++) block[2 + j] = (j - 16) & 0xff;
  s.bytes(block);
  const bytes = s.result();
  const g = parseGguf(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    'q8.gguf',
  );
  const t = g.weights.tensors.get('model.layers.0.post_attention_layernorm.weight')!;
  assert.equal(t.dtype, 'q8_0');
  assert.deepEqual(
    [...weightValues(t, 'f32')],
    Array.from({ length: 32 }, (_, j) => (j - 16) * 0.5),
  );
  assert.equal(g.weights.config.rmsNormEps, 1e-5);
});

test('a huge string length, tensor count or array length is refused before any allocation', () => {
  const hugeKey = headerStart(0n, 1n);
  hugeKey.u64(1n << 60n);
  rejects(hugeKey.result(), /key \(string length\)$/);
  rejects(headerStart(1n << 40n, 0n).result(), /^tensor_count$/);
  rejects(headerStart(0n, 1n << 40n).result(), /^metadata_kv_count$/);
  const hugeArray = headerStart(0n, 1n);
  hugeArray.string('tokenizer.ggml.tokens');
  hugeArray.u32(9);
  hugeArray.u32(8);
  hugeArray.u64(1n << 50n);
  rejects(hugeArray.result(), /array length/);
  const hugeValue = headerStart(0n, 1n);
  hugeValue.string('general.name');
  hugeValue.u32(8);
  hugeValue.u64(1000);
  rejects(hugeValue.result(), /^general\.name$/);
});

test(
  'bad magic, version, tensor type, dims and offsets are refused by field',
  { skip: missingFixture(STORIES_GGUF) },
  (t) => {
    const original = new Uint8Array(readFileSync(STORIES_GGUF));
    const badMagic = original.slice();
    badMagic[0] = 0;
    rejects(badMagic, /^magic$/);
    const badVersion = original.slice();
    badVersion[4] = 1;
    rejects(badVersion, /^version$/);
    rejects(original.slice(0, original.length - 100), /\.data$/);
    const dims = headerStart(1n, 0n);
    dims.string('output_norm.weight');
    dims.u32(1);
    dims.u64(1n << 60n);
    dims.u32(0);
    dims.u64(0);
    rejects(dims.result(), /output_norm\.weight\.ne/);
    const type = headerStart(1n, 0n);
    type.string('output_norm.weight');
    type.u32(1);
    type.u64(64);
    type.u32(16); // IQ2_XXS: not one we read
    type.u64(0);
    rejects(type.result(), /output_norm\.weight\.type/);
    // Through the file system too: the error names the path.
    const path = join(tempDir(t), 'cut.gguf');
    writeFileSync(path, original.subarray(0, 40));
    assert.throws(
      () => readGguf(path),
      (e: unknown) => e instanceof FormatError && e.file === path,
    );
  },
);
