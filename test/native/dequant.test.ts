// Native dequantization of every GGML quantized type, on every ISA path this CPU runs and on 1 and
// 2 threads, against the scalar TypeScript twin (test/helpers/ggml-reference.ts), bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGML_QUANT_TYPES, GGML_TYPES } from '../../src/formats/ggml-types.js';
import type { GgmlQuantType } from '../../src/formats/ggml-types.js';
import { availableIsas, bestIsa, setIsa, setThreadCount, threadCount } from '../../src/native/index.js';
import { dequantize, dequantizeRows, nativeQuantBlock, quantize } from '../../src/native/quant.js';
import { dequantizeReference, referenceFormat } from '../helpers/ggml-reference.js';
import { mulberry32 } from '../helpers/random.js';

/** Random blocks: random bytes, with every f16 field a random finite value (subnormals included). */
function randomBlocks(type: GgmlQuantType, blocks: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const { bytes, halves } = referenceFormat(type);
  const out = new Uint8Array(blocks * bytes);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256);
  for (let b = 0; b < blocks; b++)
    for (const at of halves) {
      const o = b * bytes + at + 1;
      if ((out[o] & 0x7c) === 0x7c) out[o] &= ~0x40; // exponent 31 (inf/NaN) -> 15
    }
  return out;
}

function sameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++)
    if (g[i] !== w[i]) assert.fail(`${label}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
}

function withPaths(fn: (label: string) => void): void {
  const threads = threadCount();
  try {
    for (const isa of availableIsas()) {
      assert.ok(setIsa(isa));
      for (const n of [1, 2]) {
        setThreadCount(n);
        fn(`${isa}, ${n} thread${n > 1 ? 's' : ''}`);
      }
    }
  } finally {
    setIsa(bestIsa());
    setThreadCount(threads);
  }
}

test('the native block table agrees with ggml-types.ts and the reference formats', () => {
  for (const type of GGML_QUANT_TYPES) {
    const entry = GGML_TYPES.find((t) => t.name === type)!;
    const ref = referenceFormat(type);
    assert.deepEqual(nativeQuantBlock(type), [entry.blockElements, entry.blockBytes], type);
    assert.deepEqual([ref.elements, ref.bytes], [entry.blockElements, entry.blockBytes], type);
  }
});

for (const type of GGML_QUANT_TYPES) {
  test(`${type}: every path equals the scalar reference bit for bit on random blocks`, () => {
    // Odd block counts, and one large enough (over 256 KB of output) to be split across threads.
    const { elements } = referenceFormat(type);
    const counts = [1, 3, 7, Math.ceil((300 * 1024) / (4 * elements)) | 1];
    counts.forEach((blocks, c) => {
      const src = randomBlocks(type, blocks, 1000 * c + GGML_QUANT_TYPES.indexOf(type));
      const want = dequantizeReference(type, src);
      withPaths((label) => {
        const got = new Float32Array(blocks * elements).fill(NaN);
        dequantize(type, src, got);
        sameBits(got, want, `${type}, ${blocks} blocks, ${label}`);
      });
    });
  });
}

test('blocks at odd byte offsets dequantize the same (unaligned f16 and u32 fields)', () => {
  for (const type of GGML_QUANT_TYPES) {
    const { bytes, elements } = referenceFormat(type);
    const src = randomBlocks(type, 5, 77);
    const shifted = new Uint8Array(src.length + 1);
    shifted.set(src, 1);
    const want = dequantizeReference(type, src);
    withPaths((label) => {
      const got = new Float32Array(5 * elements);
      dequantize(type, shifted.subarray(1, 1 + 5 * bytes), got);
      sameBits(got, want, `${type} at offset 1, ${label}`);
    });
  }
});

test('dequantizeRows expands the rows asked for, equal to the same rows of the whole tensor', () => {
  for (const type of ['q4_k', 'q8_0', 'iq4_nl'] as const) {
    const { elements } = referenceFormat(type);
    const rowLength = 2 * Math.max(elements, 256),
      rows = 5;
    const src = randomBlocks(type, (rows * rowLength) / elements, 3);
    const all = dequantizeReference(type, src);
    const got = dequantizeRows(type, src, rowLength, 2, 2);
    sameBits(got, all.subarray(2 * rowLength, 4 * rowLength), `${type} rows 2-3`);
    assert.equal(dequantizeRows(type, src, rowLength, 4, 0).length, 0);
    assert.throws(() => dequantizeRows(type, src, rowLength, 4, 2), /past src's/);
    assert.throws(() => dequantizeRows(type, src, rowLength + 1, 0, 1), /multiple of/);
  }
});

test('a source that does not match the destination, or a bad type, is refused naming the sizes', () => {
  const src = new Uint8Array(2 * 144);
  assert.throws(
    () => dequantize('q4_k', src, new Float32Array(3 * 256)),
    (e: unknown) => e instanceof RangeError && /288 bytes/.test(e.message) && /432 bytes/.test(e.message),
  );
  assert.throws(() => dequantize('q4_k', src, new Float32Array(300)), /multiple of 256/);
  assert.throws(() => dequantize('q9_9' as GgmlQuantType, src, new Float32Array(256)), /unknown GGML quantized type/);
  assert.throws(() => quantize('q4_0', new Float32Array(33)), /multiple of 32/);
  const nan = new Float32Array(32);
  nan[5] = NaN;
  assert.throws(() => quantize('q8_0', nan), /src\[5\].*not finite/);
  const empty = new Float32Array(0);
  dequantize('q6_k', new Uint8Array(0), empty);
  assert.equal(quantize('q6_k', empty).length, 0);
});
