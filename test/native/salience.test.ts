// The Taylor salience sum Σ |W ⊙ G| (native/src/ops_salience.cc) against a float64 reference, for
// f32, bf16 and f16 weights read as stored, on odd sizes, and the same bits on any thread count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { salience } from '../../src/native/ops.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/native/index.js';
import { availableIsas, bestIsa, setIsa, setThreadCount, threadCount } from '../../src/native/index.js';
import { mulberry32 } from '../helpers/random.js';

function randomF32(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 4);
}

function reference(w: Float32Array, g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.abs(w[i] * g[i]);
  return s;
}

test('salience matches the float64 sum for f32, bf16 and f16 weights on odd sizes', () => {
  for (const n of [0, 1, 7, 9, 1000, 16385, 70001]) {
    const w = randomF32(n, n + 1);
    const g = randomF32(n, n + 2);
    assert.ok(Math.abs(salience(w, 'f32', g) - reference(w, g)) <= 1e-12 * Math.max(1, reference(w, g)), `f32 n=${n}`);
    const b = f32ToBf16(w);
    const bw = new Float32Array(n);
    bf16ToF32(b, bw);
    assert.ok(Math.abs(salience(b, 'bf16', g) - reference(bw, g)) <= 1e-12 * Math.max(1, reference(bw, g)), `bf16 n=${n}`);
    const h = f32ToF16(w);
    const hw = new Float32Array(n);
    f16ToF32(h, hw);
    assert.ok(Math.abs(salience(h, 'f16', g) - reference(hw, g)) <= 1e-12 * Math.max(1, reference(hw, g)), `f16 n=${n}`);
  }
});

test('salience: the same value on 1, 2 and 3 threads', () => {
  const w = randomF32(300_007, 11);
  const g = randomF32(300_007, 12);
  const before = threadCount();
  try {
    const got = [1, 2, 3].map((t) => {
      setThreadCount(t);
      return salience(w, 'f32', g);
    });
    assert.equal(got[1], got[0]);
    assert.equal(got[2], got[0]);
  } finally {
    setThreadCount(before);
  }
});

test('salience: the same bits on every instruction-set path the CPU runs', () => {
  const n = 100_003;
  const w = randomF32(n, 21);
  const g = randomF32(n, 22);
  const b = f32ToBf16(w);
  const h = f32ToF16(w);
  const best = bestIsa();
  try {
    const got = availableIsas().map((isa) => {
      assert.equal(setIsa(isa), true);
      return [salience(w, 'f32', g), salience(b, 'bf16', g), salience(h, 'f16', g)];
    });
    for (const row of got.slice(1)) assert.deepEqual(row, got[0]);
  } finally {
    setIsa(best);
  }
});

test('salience refuses mismatched lengths and array types', () => {
  assert.throws(() => salience(new Float32Array(3), 'f32', new Float32Array(4)), /3 weights but 4 gradients/);
  assert.throws(() => salience(new Float32Array(3), 'bf16', new Float32Array(3)), /Uint16Array/);
});
