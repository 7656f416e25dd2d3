// AdamW against a float64 transcription of torch.optim.AdamW, clipping by global norm, and the
// learning-rate schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, clipGradients, globalGradNorm } from '../../src/heal/adamw.js';
import { learningRate } from '../../src/heal/schedule.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('AdamW matches the decoupled-decay update step for step, and skips decay where asked', () => {
  const p = new Tensor([3], Float32Array.from([0.5, -1, 2]), true);
  const gain = new Tensor([1], Float32Array.from([1]), true);
  const opt = new AdamW(
    new Map([
      ['w', p],
      ['norm.weight', gain],
    ]),
    { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: (n) => n === 'norm.weight' },
  );
  const ref = [0.5, -1, 2];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const grads = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.1, 0.2],
  ];
  grads.forEach((g, s) => {
    const lr = 0.01 * (s + 1);
    p.grad = Float32Array.from(g);
    gain.grad = Float32Array.from([0]);
    opt.update(lr);
    for (let i = 0; i < 3; i++) {
      ref[i] *= 1 - lr * 0.1;
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
      const mh = m[i] / (1 - 0.9 ** (s + 1));
      const vh = v[i] / (1 - 0.95 ** (s + 1));
      ref[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(p.data[i] - ref[i]) < 1e-6, `step ${s} element ${i}`);
  });
  assert.equal(gain.data[0], 1, 'no decay and no gradient: unchanged');
});

test('the native AdamW, norm and clipping give exactly the numbers of the float64 transcription', () => {
  const N = 70001; // several chunks and threads
  let seed = 7;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  const w0 = Float32Array.from({ length: N }, rand);
  const p = new Tensor([N], w0.slice(), true);
  const opt = new AdamW(new Map([['w', p]]), { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const w = w0.slice();
  const m = new Float32Array(N);
  const v = new Float32Array(N);
  for (let step = 1; step <= 3; step++) {
    const g = Float32Array.from({ length: N }, rand);
    p.grad = g.slice();
    let sum = 0;
    for (let i = 0; i < N; i++) sum += g[i] * g[i];
    const norm = globalGradNorm(new Map([['w', p]]));
    assert.ok(Math.abs(norm - Math.sqrt(sum)) <= 1e-12 * Math.sqrt(sum), `norm ${norm} vs ${Math.sqrt(sum)}`);
    clipGradients(new Map([['w', p]]), norm, 0.5 * norm);
    const f = (0.5 * norm) / (norm + 1e-6);
    for (let i = 0; i < N; i++) g[i] *= f;
    assert.deepEqual(p.grad, g, 'clipped gradients');
    const lr = 1e-3 * step;
    opt.update(lr);
    const stepSize = lr / (1 - 0.9 ** step);
    const sqrtBc2 = Math.sqrt(1 - 0.95 ** step);
    for (let i = 0; i < N; i++) {
      w[i] -= lr * 0.1 * w[i];
      m[i] = 0.9 * m[i] + (1 - 0.9) * g[i];
      v[i] = 0.95 * v[i] + (1 - 0.95) * g[i] * g[i];
      w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + 1e-8);
    }
    assert.deepEqual(p.data, w, `weights after step ${step}`);
  }
});

test('clipping scales every gradient by max/norm only when the global norm exceeds it', () => {
  const a = new Tensor([2], Float32Array.from([3, 0]), true);
  const b = new Tensor([1], Float32Array.from([0]), true);
  a.grad = Float32Array.from([3, 0]);
  b.grad = Float32Array.from([4]);
  const params = new Map([
    ['a', a],
    ['b', b],
  ]);
  const norm = globalGradNorm(params);
  assert.equal(norm, 5);
  clipGradients(params, norm, 10);
  assert.deepEqual([...b.grad], [4]);
  clipGradients(params, norm, 1);
  assert.ok(Math.abs(globalGradNorm(params) - 1) < 1e-5);
  b.grad[0] = NaN;
  assert.ok(Number.isNaN(globalGradNorm(params)));
});

test('schedules: linear warmup, then linear decay to zero or cosine to the floor', () => {
  const lin = { peak: 1, warmupSteps: 4, totalSteps: 14, decay: 'linear' as const };
  assert.deepEqual(
    [0, 1, 2, 3].map((s) => learningRate(s, lin)),
    [0.2, 0.4, 0.6, 0.8],
  );
  assert.equal(learningRate(4, lin), 1);
  assert.ok(Math.abs(learningRate(9, lin) - 0.5) < 1e-12);
  assert.equal(learningRate(14, lin), 0);
  const cos = { ...lin, decay: 'cosine' as const, minRatio: 0.1 };
  assert.ok(Math.abs(learningRate(9, cos) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(14, cos) - 0.1) < 1e-12);
});
