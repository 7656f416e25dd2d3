// The native quantizers on data made here: the 32-element types byte for byte against a scalar
// TypeScript twin; every type round-tripped (quantize, dequantize) within an error bound that falls
// as the bits grow; all-zero and constant blocks; 1 and 2 threads giving the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGML_QUANT_TYPES } from '../../src/formats/ggml-types.js';
import type { GgmlQuantType } from '../../src/formats/ggml-types.js';
import { setThreadCount, threadCount } from '../../src/native/index.js';
import { dequantize, quantize } from '../../src/native/quant.js';
import { numberToHalf, quantizeLegacyReference } from '../helpers/ggml-quantize-reference.js';
import { mulberry32 } from '../helpers/random.js';

/** Normal weights (std 0.08, as in a small LLaMA), with a few outliers and blocks of ties and zeros. */
function weights(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rand(),
      v = rand();
    x[i] = 0.08 * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    if (rand() < 0.002) x[i] *= 8;
  }
  x.fill(0, 0, 256); // an all-zero super-block
  x.fill(0.25, 256, 512); // a constant one
  for (let i = 512; i < 768; i++) x[i] = ((i % 7) - 3) * 0.125; // exact ties on coarse grids
  return x;
}

function rmsError(type: GgmlQuantType, x: Float32Array): number {
  const y = new Float32Array(x.length);
  dequantize(type, quantize(type, x), y);
  let e = 0,
    s = 0;
  for (let i = 0; i < x.length; i++) {
    e += (y[i] - x[i]) ** 2;
    s += x[i] ** 2;
  }
  return Math.sqrt(e / s);
}

test('numberToHalf (the twin helper) rounds to nearest even, as our f32 -> f16 does', () => {
  assert.equal(numberToHalf(1), 0x3c00);
  assert.equal(numberToHalf(-2), 0xc000);
  assert.equal(numberToHalf(-0), 0x8000);
  assert.equal(numberToHalf(65504), 0x7bff);
  assert.equal(numberToHalf(65520), 0x7c00);
  assert.equal(numberToHalf(2 ** -24), 1);
  assert.equal(numberToHalf(2 ** -25), 0); // a tie, to the even zero
  assert.equal(numberToHalf(1 + 2 ** -11), 0x3c00); // a tie, to the even 1
  assert.equal(numberToHalf(1 + 3 * 2 ** -11), 0x3c02);
});

for (const type of ['q4_0', 'q4_1', 'q5_0', 'q5_1', 'q8_0'] as const) {
  test(`${type}: the quantizer gives the scalar twin's bytes`, () => {
    const x = weights(256 * 40 + 32 * 3, 11);
    const got = quantize(type, x);
    const want = quantizeLegacyReference(type, x);
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++)
      if (got[i] !== want[i]) assert.fail(`${type}: byte ${i} is ${got[i]}, the twin gives ${want[i]}`);
  });
}

test('every type round-trips within its error bound, and more bits give less error', () => {
  // RMS error relative to the weights' RMS; bounds about 1.3× what these weights measure.
  const bound: Record<GgmlQuantType, number> = {
    q2_k: 0.38,
    q3_k: 0.2,
    q4_0: 0.11,
    q4_1: 0.1,
    iq4_nl: 0.1,
    iq4_xs: 0.1,
    q4_k: 0.092,
    q5_0: 0.055,
    q5_1: 0.05,
    q5_k: 0.047,
    q6_k: 0.023,
    q8_0: 0.007,
  };
  const x = weights(256 * 64, 3);
  const err = Object.fromEntries(GGML_QUANT_TYPES.map((t) => [t, rmsError(t, x)])) as Record<GgmlQuantType, number>;
  for (const t of GGML_QUANT_TYPES) assert.ok(err[t] < bound[t], `${t}: relative RMS error ${err[t]}`);
  const ladder: GgmlQuantType[] = ['q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k', 'q8_0'];
  for (let i = 1; i < ladder.length; i++) assert.ok(err[ladder[i]] < err[ladder[i - 1]], ladder[i]);
});

test('all-zero blocks come back as zeros, and constant blocks close to their value', () => {
  for (const type of GGML_QUANT_TYPES) {
    const x = new Float32Array(512);
    x.fill(0.25, 256);
    const y = new Float32Array(512).fill(NaN);
    dequantize(type, quantize(type, x), y);
    for (let i = 0; i < 256; i++) assert.equal(Math.abs(y[i]), 0, `${type}: element ${i}`);
    for (let i = 256; i < 512; i++) assert.ok(Math.abs(y[i] - 0.25) < 0.02, `${type}: element ${i} is ${y[i]}`);
  }
});

test('quantizing on 1 or 2 threads gives the same bytes', () => {
  const x = weights(256 * 96, 9);
  const threads = threadCount();
  try {
    for (const type of GGML_QUANT_TYPES) {
      setThreadCount(1);
      const one = quantize(type, x);
      setThreadCount(2);
      assert.deepEqual(quantize(type, x), one, type);
    }
  } finally {
    setThreadCount(threads);
  }
});
