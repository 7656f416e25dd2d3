// LoRA on a Linear: gradients by finite differences in float64 (with and without dropout), the
// composition against the merged weight, and the whole forward with adapters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMask, dropoutMask, loraLinear } from '../../src/model/lora-linear.js';
import { buildModel, llamaForward, nextTokenTargets } from '../../src/model/llama-forward.js';
import { createLoraAdapters, loraTargets, mergeLora, PAPER_TARGET_MODULES } from '../../src/heal/lora.js';
import { TrainingRng } from '../../src/heal/rng.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { Tape } from '../../src/tensor/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { mulberry32 } from '../helpers/random.js';
import { checkGradients, randomTensor } from '../tensor/gradcheck.js';
import { tinyWeights } from './tiny-model.js';

test('loraLinear gradients (x, A, B, bias) match finite differences, with a dropout mask', () => {
  const rand = mulberry32(7);
  const x = randomTensor([5, 7], rand);
  const w = randomTensor([6, 7], rand, false);
  const bias = randomTensor([6], rand);
  const a = randomTensor([3, 7], rand);
  const b = randomTensor([6, 3], rand);
  const adapter = { a, b, scale: 16 / 3, dropout: 0.3 };
  const maskRng = new TrainingRng(3);
  const mask = dropoutMask('f64', x.size, 0.3, maskRng.next);
  assert.ok(mask.some((m) => m === 0) && mask.some((m) => m > 1), 'mask drops some and rescales the rest');
  checkGradients(() => loraLinear(x, w, bias, { ...adapter, dropout: 0 }), [x, a, b, bias], rand);
  checkGradients(() => linear(linear(applyMask(x, mask), a), b), [x, a, b], rand);
  // The fused branch with dropout on: the same mask on every call (a generator seeded alike).
  checkGradients(() => loraLinear(x, w, bias, adapter, new TrainingRng(3).next), [x, a, b, bias], rand);
});

test('the fused branch with dropout equals base + (alpha/r)·(mask ⊙ x)·Aᵀ·Bᵀ composed from plain ops', () => {
  const rand = mulberry32(17);
  const x = randomTensor([6, 11], rand, false);
  const w = randomTensor([5, 11], rand, false);
  const a = randomTensor([3, 11], rand, false);
  const b = randomTensor([5, 3], rand, false);
  const adapter = { a, b, scale: 2.5, dropout: 0.25 };
  const fused = loraLinear(x, w, null, adapter, new TrainingRng(5).next);
  const mask = dropoutMask('f64', x.size, 0.25, new TrainingRng(5).next);
  const low = linear(linear(applyMask(x, mask), a), b);
  const base = linear(x, w);
  for (let i = 0; i < fused.size; i++)
    assert.ok(Math.abs(fused.data[i] - (base.data[i] + 2.5 * low.data[i])) < 1e-12, `output ${i}`);
});

test('the fused branch in f32 (GEMM kernels) matches float64 in output and every gradient', () => {
  const rand = mulberry32(19);
  const [N, In, Out, r] = [37, 129, 33, 7];
  const x64 = randomTensor([N, In], rand);
  const w64 = randomTensor([Out, In], rand, false);
  const a64 = randomTensor([r, In], rand);
  const b64 = randomTensor([Out, r], rand);
  const dy = Float64Array.from({ length: N * Out }, () => rand() * 2 - 1);
  const to32 = (t: Tensor): Tensor => new Tensor(t.shape, Float32Array.from(t.data), t.requiresGrad);
  const [x32, w32, a32, b32] = [x64, w64, a64, b64].map(to32);
  const run = (x: Tensor, w: Tensor, a: Tensor, b: Tensor): Tensor => {
    const tape = new Tape();
    const y = tape.run(() =>
      loraLinear(x, w, null, { a, b, scale: 16 / 7, dropout: 0.1 }, new TrainingRng(2).next),
    );
    tape.backward(y, dy);
    return y;
  };
  const y64 = run(x64, w64, a64, b64);
  const y32 = run(x32, w32, a32, b32);
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string): void => {
    let scale = 0;
    for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  };
  close(y32.data, y64.data, 'y');
  close(x32.grad!, x64.grad!, 'dx');
  close(a32.grad!, a64.grad!, 'dA');
  close(b32.grad!, b64.grad!, 'dB');
});

test('without dropout, loraLinear equals a Linear with W + (alpha/r)·B·A', () => {
  const rand = mulberry32(8);
  const x = randomTensor([4, 9], rand, false);
  const w = randomTensor([5, 9], rand, false);
  const a = randomTensor([2, 9], rand, false);
  const b = randomTensor([5, 2], rand, false);
  const y = loraLinear(x, w, null, { a, b, scale: 4, dropout: 0.5 });
  const merged = Tensor.zeros([5, 9], 'f64');
  for (let o = 0; o < 5; o++)
    for (let i = 0; i < 9; i++) {
      let s = 0;
      for (let k = 0; k < 2; k++) s += b.data[o * 2 + k] * a.data[k * 9 + i];
      merged.data[o * 9 + i] = w.data[o * 9 + i] + 4 * s;
    }
  const ref = linear(x, merged);
  for (let i = 0; i < y.size; i++) assert.ok(Math.abs(y.data[i] - ref.data[i]) < 1e-12);
});

test('the forward with adapters: finite-difference gradients of A and B, and merge gives the same logits', () => {
  const weights = tinyWeights(2);
  const targets = loraTargets(weights.config, PAPER_TARGET_MODULES);
  assert.equal(targets.length, 14);
  const adapters = createLoraAdapters(
    weights,
    targets,
    { r: 2, alpha: 4, dropout: 0, targetModules: [] },
    new TrainingRng(1),
  );
  // B starts at zero (the model is unchanged); give it values so A's gradient is not zero.
  const rand = mulberry32(4);
  for (const ad of adapters.values())
    for (let i = 0; i < ad.b.size; i++) ad.b.data[i] = (rand() * 2 - 1) * 0.1;
  const ids = Int32Array.from([1, 5, 9, 3, 7, 2, 4, 8]);
  const tg = nextTokenTargets(ids, 2, 4);
  const f32 = buildModel(weights);
  f32.lora = adapters;
  const withAdapters = llamaForward(f32, ids, { batch: 2, seqLen: 4, targets: tg, keepLogits: true });
  const merged = llamaForward(buildModel(mergeLora(weights, adapters)), ids, {
    batch: 2,
    seqLen: 4,
    targets: tg,
    keepLogits: true,
  });
  for (let i = 0; i < withAdapters.logits.size; i++)
    assert.ok(Math.abs(withAdapters.logits.data[i] - merged.logits.data[i]) < 1e-4, `logit ${i}`);

  const f64 = buildModel(weights, { kind: 'f64' });
  const f64Adapters = new Map(
    [...adapters].map(([n, ad]) => [
      n,
      {
        ...ad,
        a: new Tensor(ad.a.shape, Float64Array.from(ad.a.data), true),
        b: new Tensor(ad.b.shape, Float64Array.from(ad.b.data), true),
      },
    ]),
  );
  f64.lora = f64Adapters;
  const some = [...f64Adapters.values()].filter((_, i) => i % 5 === 0).flatMap((ad) => [ad.a, ad.b]);
  checkGradients(() => llamaForward(f64, ids, { batch: 2, seqLen: 4, targets: tg }).loss!, some, rand, {
    tolerance: 1e-5,
  });
});

test('PEFT initialization: A within ±1/√in and not constant, B zero', () => {
  const weights = tinyWeights(3);
  const name = 'model.layers.1.mlp.down_proj.weight';
  const ad = createLoraAdapters(
    weights,
    [name],
    { r: 8, alpha: 16, dropout: 0.05, targetModules: [] },
    new TrainingRng(9),
  ).get(name)!;
  const bound = 1 / Math.sqrt(20);
  assert.deepEqual(ad.a.shape, [8, 20]);
  assert.deepEqual(ad.b.shape, [16, 8]);
  assert.ok(ad.a.data.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...ad.a.data) > bound * 0.8 && Math.min(...ad.a.data) < -bound * 0.8);
  assert.ok(ad.b.data.every((v) => v === 0));
  assert.equal(ad.scale, 2);
});
