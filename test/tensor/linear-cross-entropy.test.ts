// The LM head fused with its cross-entropy over chunks of rows: the same losses and input gradient
// as linear then crossEntropy, for any chunking, in f64 and on the native f32 path (f32, bf16 and
// Q8_0 head weights), and a finite-difference check of its backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy } from '../../src/tensor/ops/cross-entropy.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { headChunkRows, linearCrossEntropy } from '../../src/tensor/ops/linear-cross-entropy.js';
import { scale } from '../../src/tensor/ops/scale.js';
import { Tape } from '../../src/tensor/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { FloatArray, Weight } from '../../src/tensor/tensor.js';
import { f32ToBf16 } from '../../src/native/index.js';
import { quantize } from '../../src/native/quant.js';
import { mulberry32, randomF32 } from '../helpers/random.js';
import { checkGradients, randomTensor } from './gradcheck.js';

/** Targets for N rows over V words with some rows ignored (-1). */
function someTargets(N: number, V: number, rand: () => number): Int32Array {
  const t = new Int32Array(N);
  for (let n = 0; n < N; n++) t[n] = n % 4 === 2 ? -1 : Math.floor(rand() * V);
  return t;
}

/** Loss, per-token NLL and ∂loss/∂x (the loss scaled by lossScale first) of one way of computing it. */
function run(
  x: Tensor,
  w: Weight,
  targets: Int32Array,
  fused: boolean,
  chunkRows?: number,
  lossScale = 1,
  materializeBytes?: number,
) {
  x.grad = null;
  const tape = new Tape();
  const r = tape.run(() =>
    fused
      ? linearCrossEntropy(x, w, targets, { chunkRows, tileColumns: chunkRows, materializeBytes })
      : crossEntropy(linear(x, w), targets),
  );
  const scaled = tape.run(() => (lossScale === 1 ? r.loss : scale(r.loss, lossScale)));
  tape.backward(scaled);
  const dx = x.grad as FloatArray | null; // set by backward (the narrowing to null above does not see it)
  return { loss: r.loss.data[0], nll: Array.from(r.tokenNll), nllSum: r.nllSum, count: r.count, dx };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('linearCrossEntropy (f64): losses and input gradient equal the unfused pair for every chunking', () => {
  const rand = mulberry32(31);
  const [N, In, V] = [13, 7, 11];
  const x = randomTensor([N, In], rand);
  const w = randomTensor([V, In], rand, false);
  const targets = someTargets(N, V, rand);
  const want = run(x, w, targets, false);
  for (const chunkRows of [1, 3, 5, 13, 64]) {
    const got = run(x, w, targets, true, chunkRows);
    assert.equal(got.count, want.count);
    assert.ok(Math.abs(got.loss - want.loss) < 1e-12, `loss, chunks of ${chunkRows}`);
    assert.ok(maxAbsDiff(got.nll, want.nll) < 1e-12, `token NLL, chunks of ${chunkRows}`);
    assert.ok(got.dx && want.dx && maxAbsDiff(got.dx, want.dx) < 1e-12, `dx, chunks of ${chunkRows}`);
  }
  // A scaled loss scales the gradient (the saved gradient is for a loss gradient of 1).
  const half = run(x, w, targets, true, 4, 0.5);
  const wantHalf = run(x, w, targets, false, undefined, 0.5);
  assert.ok(half.dx && wantHalf.dx && maxAbsDiff(half.dx, wantHalf.dx) < 1e-12);
});

test('linearCrossEntropy: input gradient against finite differences (f64, chunks of 2)', () => {
  const rand = mulberry32(32);
  const x = randomTensor([5, 4], rand);
  const w = randomTensor([9, 4], rand, false);
  const targets = new Int32Array([3, -1, 0, 8, 5]);
  checkGradients(() => linearCrossEntropy(x, w, targets, { chunkRows: 2 }).loss, [x], rand);
});

test('linearCrossEntropy: gradient added to one already there; none when every target is ignored', () => {
  const rand = mulberry32(33);
  const x = randomTensor([6, 5], rand);
  const w = randomTensor([7, 5], rand, false);
  const targets = someTargets(6, 7, rand);
  const once = run(x, w, targets, true, 4).dx as Float64Array;
  const tape = new Tape();
  const a = tape.run(() => linearCrossEntropy(x, w, targets, { chunkRows: 4 }));
  x.grad = Float64Array.from(once);
  tape.backward(a.loss);
  assert.ok(
    maxAbsDiff(
      x.grad,
      once.map((v) => 2 * v),
    ) < 1e-12,
  );
  x.grad = null;
  const none = new Tape().run(() => linearCrossEntropy(x, w, new Int32Array(6).fill(-1)));
  assert.equal(none.count, 0);
  assert.equal(none.loss.data[0], 0);
  assert.equal(none.loss.requiresGrad, false);
});

test('linearCrossEntropy (native f32): f32, bf16 and Q8_0 head weights, and a trainable f32 head, match the unfused pair', () => {
  const rand = mulberry32(34);
  const [N, In, V] = [37, 64, 301];
  const xs = randomF32(N * In, rand);
  const ws = randomF32(V * In, rand);
  const targets = someTargets(N, V, rand);
  const weights: [string, Weight][] = [
    ['f32', { dtype: 'f32', shape: [V, In], data: ws }],
    ['bf16', { dtype: 'bf16', shape: [V, In], data: f32ToBf16(ws) }],
    ['q8_0', { dtype: 'q8_0', shape: [V, In], data: quantize('q8_0', ws) }],
  ];
  for (const [name, w] of weights) {
    const x = new Tensor([N, In], Float32Array.from(xs), true);
    const want = run(x, w, targets, false);
    for (const chunkRows of [16, 32, undefined]) {
      const got = run(x, w, targets, true, chunkRows);
      assert.ok(Math.abs(got.loss - want.loss) < 1e-5, `${name} loss, chunks of ${chunkRows}`);
      assert.ok(maxAbsDiff(got.nll, want.nll) < 1e-4, `${name} token NLL`);
      assert.ok(
        got.dx && want.dx && maxAbsDiff(got.dx, want.dx) < 1e-6,
        `${name} dx, chunks of ${chunkRows}`,
      );
    }
  }
  // A trainable f32 head over tiles of 16 words (the last one 13), and with a bf16 compute copy.
  for (const compute of ['f32', 'bf16']) {
    const head = new Tensor([V, In], Float32Array.from(ws), true);
    if (compute === 'bf16') head.bf16 = f32ToBf16(ws);
    const x = new Tensor([N, In], Float32Array.from(xs), true);
    const want = run(x, head, targets, false);
    const wantDw = Float32Array.from(head.grad ?? []);
    head.grad = null;
    const got = run(x, head, targets, true, 16, 1, 0);
    assert.ok(Math.abs(got.loss - want.loss) < 1e-5, `trainable ${compute} head loss`);
    assert.ok(got.dx && want.dx && maxAbsDiff(got.dx, want.dx) < 1e-6, `trainable ${compute} head dx`);
    assert.ok(head.grad && maxAbsDiff(head.grad, wantDw) < 1e-6, `trainable ${compute} head dW`);
  }
});

test('linearCrossEntropy: a trainable head goes over vocabulary tiles, recomputed in the backward: the unfused gradients, for every tiling', () => {
  const rand = mulberry32(35);
  const [N, In, V] = [11, 6, 9];
  const x = randomTensor([N, In], rand);
  const w = randomTensor([V, In], rand, true);
  const targets = someTargets(N, V, rand);
  // chunkRows doubles as the tile width here (a trainable head goes over vocabulary tiles).
  const grads = (fused: boolean, chunkRows?: number, lossScale = 1) => {
    w.grad = null;
    const r = run(x, w, targets, fused, chunkRows, lossScale, 0);
    return { ...r, dw: Float64Array.from(w.grad ?? []) };
  };
  const want = grads(false);
  for (const columns of [1, 4, 9, 20]) {
    const got = grads(true, columns, 1);
    assert.ok(Math.abs(got.loss - want.loss) < 1e-12, `loss, tiles of ${columns}`);
    assert.ok(maxAbsDiff(got.nll, want.nll) < 1e-12, `token NLL, tiles of ${columns}`);
    assert.ok(got.dx && want.dx && maxAbsDiff(got.dx, want.dx) < 1e-12, `dx, tiles of ${columns}`);
    assert.ok(maxAbsDiff(got.dw, want.dw) < 1e-12, `dw, tiles of ${columns}`);
  }
  const scaled = grads(true, 4, 0.25);
  const wantScaled = grads(false, undefined, 0.25);
  assert.ok(maxAbsDiff(scaled.dw, wantScaled.dw) < 1e-12, 'a scaled loss scales dW');
  // Against finite differences, both inputs.
  checkGradients(
    () => linearCrossEntropy(x, w, targets, { tileColumns: 4, materializeBytes: 0 }).loss,
    [x, w],
    rand,
  );
  // Small enough to keep whole (the default allowance): the unfused pair, nothing recomputed.
  x.grad = null;
  const plain = linearCrossEntropy(x, w, targets, { chunkRows: 2 });
  assert.equal(plain.loss.requiresGrad, false, 'no tape, no gradient');
  assert.equal(x.grad, null);
});

test('headChunkRows: 64 MiB of logits per chunk, a multiple of 16, at least 16', () => {
  assert.equal(headChunkRows(32000, 4), 512);
  assert.equal(headChunkRows(128256, 4), 128);
  assert.equal(headChunkRows(10_000_000, 4), 16);
});

test('linearCrossEntropy: shapes and targets are checked', () => {
  const x = Tensor.zeros([2, 3], 'f64');
  const w = Tensor.zeros([4, 3], 'f64');
  assert.throws(() => linearCrossEntropy(x, Tensor.zeros([4, 2], 'f64'), new Int32Array(2)), /width 3/);
  assert.throws(() => linearCrossEntropy(x, w, new Int32Array(3)), /3 targets for 2 rows/);
  assert.throws(() => linearCrossEntropy(x, w, new Int32Array([0, 4])), /target 4 at 1/);
});
