// The distillation loss: float64 finite differences for both forms (full vocabulary, top-K with a
// rest bucket), the native f32 kernels against the float64 ones on odd sizes, and the same bits
// whatever the thread count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  klDivBackward,
  klDivForward,
  klDivergence,
  klTopKBackward,
  klTopKForward,
  topKLogProbs,
} from '../../src/tensor/ops/kl-divergence.js';
import type { TeacherTarget } from '../../src/tensor/ops/kl-divergence.js';
import { klTopKForwardF32 } from '../../src/native/ops.js';
import { setThreadCount, threadCount } from '../../src/native/index.js';
import { mulberry32 } from '../helpers/random.js';
import { checkGradients, randomTensor } from './gradcheck.js';

function random64(n: number, rand: () => number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);

function assertClose(got: Float32Array, want: Float64Array, what: string, tolerance = 2e-5): void {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (const w of want) if (Number.isFinite(w)) scale = Math.max(scale, Math.abs(w));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(scale, 1e-30);
    assert.ok(
      err <= tolerance,
      `${what}[${i}]: native ${got[i]} vs reference ${want[i]} (scaled error ${err})`,
    );
  }
}

/** The teacher's top-K of f64 logits, as f64 arrays. */
function topK64(logits: Float64Array, N: number, V: number, K: number, invT: number): TeacherTarget {
  const idx = new Int32Array(N * K);
  const logp = new Float64Array(N * K);
  const logRest = new Float64Array(N);
  topKLogProbs(idx, logp, logRest, logits, N, V, K, invT);
  return { kind: 'top-k', k: K, idx, logp, logRest };
}

test('KL over the full vocabulary: student-logit gradient by float64 finite differences, with T and ignored rows', () => {
  const rand = mulberry32(41);
  const [N, V] = [5, 7];
  const student = randomTensor([N, V], rand, true, 3);
  const teacher: TeacherTarget = { kind: 'full', logits: random64(N * V, rand, 3) };
  const targets = new Int32Array([2, -1, 6, 0, -1]);
  for (const T of [1, 2.5]) {
    const worst = checkGradients(() => klDivergence(student, teacher, targets, T).loss, [student], rand);
    assert.ok(worst < 1e-6);
  }
  const r = klDivergence(student, teacher, targets, 1);
  assert.equal(r.count, 3);
  assert.ok(r.klSum > 0);
  assert.ok(Math.abs(r.loss.data[0] - r.klSum / 3) < 1e-12);
  // A student equal to the teacher is at the minimum: KL 0.
  const same = randomTensor([N, V], rand, false);
  same.data.set(teacher.kind === 'full' ? teacher.logits : []);
  assert.ok(Math.abs(klDivergence(same, teacher, targets, 2).klSum) < 1e-12);
});

test('KL over the top-K plus a rest bucket: gradient by float64 finite differences; K = V is the full KL', () => {
  const rand = mulberry32(42);
  const [N, V] = [6, 9];
  const student = randomTensor([N, V], rand, true, 3);
  const teacherLogits = random64(N * V, rand, 3);
  const targets = new Int32Array([1, 4, -1, 8, 0, 3]);
  for (const [K, T] of [
    [1, 1],
    [3, 1],
    [4, 2],
    [8, 0.7],
  ]) {
    const teacher = topK64(teacherLogits, N, V, K, 1 / T);
    checkGradients(() => klDivergence(student, teacher, targets, T).loss, [student], rand);
  }
  const full = klDivergence(student, { kind: 'full', logits: teacherLogits }, targets, 1.5).klSum;
  const all = klDivergence(student, topK64(teacherLogits, N, V, V, 1 / 1.5), targets, 1.5).klSum;
  assert.ok(Math.abs(full - all) < 1e-12 * Math.max(1, full), `full ${full} vs top-${V} ${all}`);
  // Folding outcomes into one bucket can only lower the divergence (the data-processing inequality).
  for (let K = 1; K < V; K++) {
    const kl = klDivergence(student, topK64(teacherLogits, N, V, K, 1), targets, 1).klSum;
    const fullAt1 = klDivergence(student, { kind: 'full', logits: teacherLogits }, targets, 1).klSum;
    assert.ok(kl <= fullAt1 + 1e-12, `top-${K} ${kl} above the full ${fullAt1}`);
  }
});

test('top-K: the largest logits, largest first, ties to the lower id; the rest mass summed directly', () => {
  const logits = new Float64Array([0, 3, 1, 3, -2, 5]);
  const t = topK64(logits, 1, 6, 3, 1) as Extract<TeacherTarget, { kind: 'top-k' }>;
  assert.deepEqual(Array.from(t.idx), [5, 1, 3]);
  let lse = 0;
  for (const z of logits) lse += Math.exp(z);
  lse = Math.log(lse);
  assert.ok(Math.abs(t.logp[0] - (5 - lse)) < 1e-12);
  const rest = Math.exp(0 - lse) + Math.exp(1 - lse) + Math.exp(-2 - lse);
  assert.ok(Math.abs(t.logRest[0] - Math.log(rest)) < 1e-12);
  // Native, with NaN-free ties too.
  const idx = new Int32Array(3);
  const logp = new Float32Array(3);
  const logRest = new Float32Array(1);
  topKLogProbs(idx, logp, logRest, Float32Array.from(logits), 1, 6, 3, 1);
  assert.deepEqual(Array.from(idx), [5, 1, 3]);
  assert.ok(Math.abs(logRest[0] - t.logRest[0]) < 1e-6);
});

test('native KL kernels (full and top-K) equal the float64 reference on odd sizes', () => {
  const rand = mulberry32(43);
  const [N, V, K] = [9, 301, 17];
  const invT = 1 / 1.7;
  const s = random64(N * V, rand, 8);
  const z = random64(N * V, rand, 8);
  const targets = new Int32Array([5, -1, 300, 0, 17, -1, 42, 299, 1]);
  const dl = random64(N, rand);

  const l64 = new Float64Array(N),
    ls64 = new Float64Array(N),
    lt64 = new Float64Array(N);
  const l32 = new Float32Array(N),
    ls32 = new Float32Array(N),
    lt32 = new Float32Array(N);
  klDivForward(l64, ls64, lt64, s, z, targets, N, V, invT);
  klDivForward(l32, ls32, lt32, f32(s), f32(z), targets, N, V, invT);
  assertClose(l32, l64, 'full losses');
  const d64 = random64(N * V, rand, 0.5),
    d32 = f32(d64);
  klDivBackward(d64, dl, s, ls64, z, lt64, targets, N, V, invT);
  klDivBackward(d32, f32(dl), f32(s), ls32, f32(z), lt32, targets, N, V, invT);
  assertClose(d32, d64, 'full dstudent');

  const idx64 = new Int32Array(N * K),
    lp64 = new Float64Array(N * K),
    lr64 = new Float64Array(N);
  const idx32 = new Int32Array(N * K),
    lp32 = new Float32Array(N * K),
    lr32 = new Float32Array(N);
  topKLogProbs(idx64, lp64, lr64, z, N, V, K, invT);
  topKLogProbs(idx32, lp32, lr32, f32(z), N, V, K, invT);
  assert.deepEqual(Array.from(idx32), Array.from(idx64));
  assertClose(lp32, lp64, 'top-K log p');
  assertClose(lr32, lr64, 'log p_rest');

  const k64 = new Float64Array(N),
    ks64 = new Float64Array(N),
    kr64 = new Float64Array(N);
  const k32 = new Float32Array(N),
    ks32 = new Float32Array(N),
    kr32 = new Float32Array(N);
  klTopKForward(k64, ks64, kr64, s, idx64, lp64, lr64, targets, N, V, K, invT);
  klTopKForward(k32, ks32, kr32, f32(s), idx32, lp32, lr32, targets, N, V, K, invT);
  assertClose(k32, k64, 'top-K losses');
  assertClose(kr32, kr64, "student's rest logsumexp");
  const e64 = random64(N * V, rand, 0.5),
    e32 = f32(e64);
  klTopKBackward(e64, dl, s, ks64, kr64, idx64, lp64, lr64, targets, N, V, K, invT);
  klTopKBackward(e32, f32(dl), f32(s), ks32, kr32, idx32, lp32, lr32, targets, N, V, K, invT);
  assertClose(e32, e64, 'top-K dstudent');
});

test('native KL kernels give the same bits on 1, 2 and 3 threads', () => {
  const rand = mulberry32(44);
  const [N, V, K] = [67, 1031, 64];
  const s = f32(random64(N * V, rand, 6));
  const z = f32(random64(N * V, rand, 6));
  const targets = new Int32Array(N);
  for (let n = 0; n < N; n++) targets[n] = n % 7 === 3 ? -1 : n;
  const dl = f32(random64(N, rand));
  const before = threadCount();
  const runs: Uint8Array[][] = [];
  try {
    for (const threads of [1, 2, 3]) {
      setThreadCount(threads);
      const [l, ls, lt] = [new Float32Array(N), new Float32Array(N), new Float32Array(N)];
      klDivForward(l, ls, lt, s, z, targets, N, V, 1);
      const d = new Float32Array(N * V);
      klDivBackward(d, dl, s, ls, z, lt, targets, N, V, 1);
      const [idx, lp, lr] = [new Int32Array(N * K), new Float32Array(N * K), new Float32Array(N)];
      topKLogProbs(idx, lp, lr, z, N, V, K, 0.5);
      const [k, ks, kr] = [new Float32Array(N), new Float32Array(N), new Float32Array(N)];
      klTopKForward(k, ks, kr, s, idx, lp, lr, targets, N, V, K, 0.5);
      const e = new Float32Array(N * V);
      klTopKBackward(e, dl, s, ks, kr, idx, lp, lr, targets, N, V, K, 0.5);
      runs.push([l, d, idx, lp, lr, k, e].map((a) => new Uint8Array(a.buffer.slice(0))));
    }
  } finally {
    setThreadCount(before);
  }
  for (let r = 1; r < runs.length; r++)
    runs[r].forEach((bytes, i) =>
      assert.deepEqual(bytes, runs[0][i], `array ${i}, run ${r + 1} against 1 thread`),
    );
});

test('native top-K KL refuses a token outside the vocabulary or named twice, naming the argument', () => {
  const N = 1,
    V = 5,
    K = 2;
  const a = new Float32Array(N),
    big = new Float32Array(N * V),
    lp = new Float32Array(N * K);
  const targets = new Int32Array([0]);
  assert.throws(
    () => klTopKForwardF32(a, a, a, big, new Int32Array([1, 5]), lp, a, targets, N, V, K, 1),
    /klTopKForward: argument 4 \(idx\) holds 5 in row 0/,
  );
  assert.throws(
    () => klTopKForwardF32(a, a, a, big, new Int32Array([3, 3]), lp, a, targets, N, V, K, 1),
    /klTopKForward: argument 4 \(idx\) names token 3 twice/,
  );
  assert.throws(
    () => klTopKForwardF32(a, a, a, big, new Int32Array([0, 1]), lp, a, targets, N, V, K, 0),
    /invT/,
  );
});
