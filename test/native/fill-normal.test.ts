// The seeded normal fill behind synthetic models: every value against a float64 replay of its
// splitmix64 hash and Box-Muller, bf16/f16 as the rounding of the f32 values, the same values
// with 1 and 2 threads, and a clear error for an array of the wrong type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToBf16, f32ToF16, setThreadCount, threadCount } from '../../src/native/index.js';
import { fillNormal } from '../../src/native/ops.js';

const MASK64 = (1n << 64n) - 1n;

function splitmix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & MASK64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return x ^ (x >> 31n);
}

/** Element i of fillNormal(seed, stream, mean, stddev), in float64. */
function reference(n: number, seed: number, stream: number, mean: number, stddev: number): Float64Array {
  const key = splitmix64((BigInt(seed) << 32n) | BigInt(stream));
  const out = new Float64Array(n);
  for (let i = 0; 2 * i < n; i++) {
    const z = splitmix64((key + BigInt(i)) & MASK64);
    const u1 = Number((z >> 40n) + 1n) / 2 ** 24;
    const u2 = Number((z >> 16n) & 0xffffffn) / 2 ** 24;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[2 * i] = mean + stddev * r * Math.cos(2 * Math.PI * u2);
    if (2 * i + 1 < n) out[2 * i + 1] = mean + stddev * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

test('fillNormal matches a float64 replay of its hash and Box-Muller, odd lengths included', () => {
  for (const [n, seed, stream, mean, stddev] of [
    [1, 0, 0, 0, 1],
    [7, 1, 2, 0.5, 2],
    [1001, 12345, 7, -1, 0.02],
    [4099, 4294967295, 4294967295, 0, 1],
  ]) {
    const got = new Float32Array(n);
    fillNormal(got, 'f32', seed, stream, mean, stddev);
    const want = reference(n, seed, stream, mean, stddev);
    for (let i = 0; i < n; i++) {
      // float32 log/sqrt/cos against float64: a few float32 ulps of the largest term.
      const tol = 4e-6 * (Math.abs(mean) + stddev * 6);
      assert.ok(Math.abs(got[i] - want[i]) <= tol, `n=${n} seed=${seed} i=${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});

test('fillNormal: bf16 and f16 are the f32 values rounded; streams differ; 1 and 2 threads agree', () => {
  const n = 300001;
  const f = new Float32Array(n);
  fillNormal(f, 'f32', 3, 11, 0, 0.5);
  const bf = new Uint16Array(n);
  fillNormal(bf, 'bf16', 3, 11, 0, 0.5);
  assert.deepEqual(bf, f32ToBf16(f));
  const h = new Uint16Array(n);
  fillNormal(h, 'f16', 3, 11, 0, 0.5);
  assert.deepEqual(h, f32ToF16(f));

  const other = new Float32Array(n);
  fillNormal(other, 'f32', 3, 12, 0, 0.5);
  let same = 0;
  for (let i = 0; i < n; i++) if (other[i] === f[i]) same++;
  assert.ok(same < 10, `streams 11 and 12 share ${same} of ${n} values`);

  const before = threadCount();
  try {
    for (const threads of [1, 2]) {
      setThreadCount(threads);
      const again = new Float32Array(n);
      fillNormal(again, 'f32', 3, 11, 0, 0.5);
      assert.deepEqual(again, f, `${threads} thread(s)`);
    }
  } finally {
    setThreadCount(before);
  }
});

test('fillNormal draws a standard normal: mean, variance and tails of a million samples', () => {
  const n = 1 << 20;
  const x = new Float32Array(n);
  fillNormal(x, 'f32', 9, 0, 0, 1);
  let sum = 0,
    sq = 0,
    beyond2 = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
    if (Math.abs(v) > 2) beyond2++;
  }
  const mean = sum / n,
    variance = sq / n - mean * mean;
  // Standard errors: 1e-3 for the mean, 1.4e-3 for the variance, 2.1e-4 for the tail fraction 0.0455.
  assert.ok(Math.abs(mean) < 5e-3, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 7e-3, `variance ${variance}`);
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 1.1e-3, `P(|x| > 2) = ${beyond2 / n}`);
});

test('fillNormal rejects an array of the wrong type and a negative deviation, naming the argument', () => {
  assert.throws(() => fillNormal(new Float32Array(4), 'bf16', 0, 0, 0, 1), /bf16 fill needs a Uint16Array/);
  assert.throws(() => fillNormal(new Uint16Array(4), 'f32', 0, 0, 0, 1), /f32 fill needs a Float32Array/);
  assert.throws(() => fillNormal(new Float32Array(4), 'f32', 0, 0, 0, -1), /stddev.*non-negative/);
  assert.throws(() => fillNormal(new Float32Array(4), 'f32', 2 ** 32, 0, 0, 1), /seed.*32-bit/);
});
