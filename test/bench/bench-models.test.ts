// The benchmark's models: a fully trainable model trains f32 weights in place (no second copy of an
// 850M model) and widens bf16 ones into f32 tensors, and the words saying which dtype runs where are
// read off the model that was built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  benchShape,
  describeOurSide,
  halfProducts,
  shapeSummary,
  trainableModel,
} from '../../src/bench/bench-models.js';
import { STORIES260K_SHAPE, syntheticLlama } from '../../src/bench/synthetic-model.js';
import { buildModel } from '../../src/model/llama-forward.js';
import { isTensor } from '../../src/tensor/tensor.js';

const shape = benchShape('stories260k', 2);

test('benchShape: the named shape with its own depth or the one asked for', () => {
  assert.equal(benchShape('stories260k').numLayers, STORIES260K_SHAPE.numLayers);
  assert.equal(shape.numLayers, 2);
  assert.equal(benchShape('synthetic-2048', 3).hiddenSize, 2048);
  assert.throws(() => benchShape('llama-7b'), /unknown shape 'llama-7b'/);
});

test('trainableModel trains stored f32 arrays in place and widens bf16 into f32 copies', () => {
  const f32 = syntheticLlama(shape, { dtype: 'f32', seed: 1 });
  const m = trainableModel(f32);
  for (const [name, t] of f32.tensors) {
    const w = m.weights.get(name)!;
    assert.ok(isTensor(w) && w.requiresGrad, name);
    assert.equal(w.data, t.data, `${name} shares the stored array`);
  }
  const bf16 = syntheticLlama(shape, { dtype: 'bf16', seed: 1 });
  const b = trainableModel(bf16);
  for (const [name, t] of bf16.tensors) {
    const w = b.weights.get(name)!;
    assert.ok(isTensor(w) && w.requiresGrad && w.data instanceof Float32Array, name);
    assert.equal(w.data.length, t.data.length);
  }
});

test('describeOurSide names what is bf16 as stored, what is a widened trainable copy, and f32 activations', () => {
  const bf16 = syntheticLlama(shape, { dtype: 'bf16', seed: 1 });
  const matrices = [...bf16.tensors.values()].filter((t) => t.shape.length === 2).length;
  assert.equal(
    describeOurSide(buildModel(bf16), 'forward'),
    `forward: ${matrices} matrices bf16 as stored, read in place by the bf16-weight GEMM/GEMV kernels ` +
      `(${halfProducts('bf16')}); activations and every other op f32`,
  );
  assert.equal(
    describeOurSide(trainableModel(bf16), 'forward + backward', bf16),
    `forward + backward: ${matrices} matrices f32 trainable tensors widened from the stored bf16 with bf16 ` +
      'copies every product reads (forward, dX and dW through the bf16 GEMMs, f32 accumulation; AdamW ' +
      'updates the f32 masters); activations, gradients and every other op f32',
  );
  const f32 = syntheticLlama(shape, { dtype: 'f32', seed: 1 });
  assert.doesNotMatch(describeOurSide(f32, 'decode'), /bf16/);
  assert.deepEqual(shapeSummary(f32.config), {
    hidden: 64,
    layers: 2,
    heads: 8,
    kv_heads: 4,
    mlp: 172,
    vocab: 512,
    tie: true,
    head_dim: 8,
  });
});
