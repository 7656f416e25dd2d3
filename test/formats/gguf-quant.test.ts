// A GGUF quantized tensor's weight: Q8_0 and Q4_0 blocks built by hand, kept as bytes and expanded to f32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightValues } from '../../src/tensor/weight-values.js';
import { quantizedWeight } from '../../src/formats/gguf-quant.js';

const Q8_0_BLOCK_BYTES = 34;
const Q4_0_BLOCK_BYTES = 18;
const dequantizeQ8_0 = (bytes: Uint8Array, n: number) =>
  weightValues(quantizedWeight('q8_0', bytes, [n], n), 'f32');
const dequantizeQ4_0 = (bytes: Uint8Array, n: number) =>
  weightValues(quantizedWeight('q4_0', bytes, [n], n), 'f32');

const F16_HALF = 0x3800; // 0.5
const F16_TWO = 0x4000; // 2.0

test('Q8_0: element = int8 q × f16 scale, block by block', () => {
  const bytes = new Uint8Array(2 * Q8_0_BLOCK_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, F16_HALF, true);
  view.setUint16(Q8_0_BLOCK_BYTES, F16_TWO, true);
  for (let j = 0; j < 32; j++) {
    view.setInt8(2 + j, j - 16);
    view.setInt8(Q8_0_BLOCK_BYTES + 2 + j, j % 2 === 0 ? 127 : -128);
  }
  const out = dequantizeQ8_0(bytes, 64);
  for (let j = 0; j < 32; j++) {
    assert.equal(out[j], (j - 16) * 0.5);
    assert.equal(out[32 + j], (j % 2 === 0 ? 127 : -128) * 2);
  }
});

test('Q4_0: low nibbles are elements 0-15, high nibbles 16-31, value (q - 8) × scale', () => {
  const bytes = new Uint8Array(Q4_0_BLOCK_BYTES);
  new DataView(bytes.buffer).setUint16(0, F16_TWO, true);
  for (let j = 0; j < 16; j++) bytes[2 + j] = (j & 0x0f) | ((15 - j) << 4);
  const out = dequantizeQ4_0(bytes, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], (j - 8) * 2, `element ${j}`);
    assert.equal(out[16 + j], (15 - j - 8) * 2, `element ${16 + j}`);
  }
});

test('the weight keeps its type, shape and bytes (a view, not a copy)', () => {
  const bytes = new Uint8Array(2 * Q8_0_BLOCK_BYTES);
  const w = quantizedWeight('q8_0', bytes, [2, 32], 64);
  assert.equal(w.dtype, 'q8_0');
  assert.deepEqual(w.shape, [2, 32]);
  assert.equal(w.data, bytes);
  assert.throws(() => quantizedWeight('q8_0', bytes.subarray(1), [2, 32], 64), /bytes for 64 q8_0 values/);
});
