// Every op's backward against central finite differences in float64, on small odd shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from '../../src/tensor/ops/add.js';
import { attention } from '../../src/tensor/ops/attention.js';
import { crossEntropy } from '../../src/tensor/ops/cross-entropy.js';
import { embedding } from '../../src/tensor/ops/embedding.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { rmsnorm } from '../../src/tensor/ops/rmsnorm.js';
import { rope } from '../../src/tensor/ops/rope.js';
import { rotaryTable } from '../../src/model/rotary.js';
import { scale } from '../../src/tensor/ops/scale.js';
import { siluGate } from '../../src/tensor/ops/silu-gate.js';
import { Tape } from '../../src/tensor/tape.js';
import { mulberry32 } from '../helpers/random.js';
import { checkGradients, randomTensor } from './gradcheck.js';

test('rmsnorm: input and weight gradients', () => {
  const rand = mulberry32(11);
  const x = randomTensor([5, 7], rand);
  const w = randomTensor([7], rand);
  checkGradients(() => rmsnorm(x, w, 1e-5), [x, w], rand);
});

test('linear: input, weight and bias gradients', () => {
  const rand = mulberry32(12);
  const x = randomTensor([3, 5], rand);
  const w = randomTensor([7, 5], rand);
  const b = randomTensor([7], rand);
  checkGradients(() => linear(x, w, b), [x, w, b], rand);
});

test('embedding: table gradient with repeated ids', () => {
  const rand = mulberry32(13);
  const table = randomTensor([6, 5], rand);
  const ids = new Int32Array([0, 3, 3, 5, 1, 3, 2]);
  checkGradients(() => embedding(table, ids, 'f64'), [table], rand);
});

test('rope: gradient of the half-split rotation at varied positions, with a YaRN-scaled table', () => {
  const rand = mulberry32(14);
  const x = randomTensor([5, 3 * 6], rand);
  const positions = new Int32Array([0, 1, 7, 2, 40]);
  const base = { headDim: 6, ropeTheta: 10000, maxSeqLen: 16, ropeFreqFactors: null };
  checkGradients(() => rope(x, positions, 6, rotaryTable({ ...base, ropeScaling: null })), [x], rand);
  const yarn = rotaryTable({
    ...base,
    ropeScaling: {
      type: 'yarn',
      factor: 4,
      originalMaxPositionEmbeddings: 16,
      betaFast: 32,
      betaSlow: 1,
      attentionFactor: null,
      mscale: null,
      mscaleAllDim: null,
      truncate: true,
    },
  });
  assert.ok(yarn.scale > 1);
  checkGradients(() => rope(x, positions, 6, yarn), [x], rand);
});

test('rmsnorm per head (a weight narrower than the row): gradients of input and weight', () => {
  const rand = mulberry32(16);
  const x = randomTensor([3, 4 * 5], rand);
  const w = randomTensor([5], rand);
  checkGradients(() => rmsnorm(x, w, 1e-6), [x, w], rand);
});

test('siluGate, add and scale: gradients of both inputs', () => {
  const rand = mulberry32(15);
  const g = randomTensor([3, 7], rand, true, 3);
  const u = randomTensor([3, 7], rand);
  checkGradients(() => add(siluGate(g, u), scale(g, -0.7)), [g, u], rand);
});

test('attention: GQA (4 heads, 2 kv heads) with a padding mask, q/k/v gradients', () => {
  const rand = mulberry32(16);
  const [B, T, Hq, Hkv, D] = [2, 5, 4, 2, 3];
  const q = randomTensor([B * T, Hq * D], rand);
  const k = randomTensor([B * T, Hkv * D], rand);
  const v = randomTensor([B * T, Hkv * D], rand);
  // Row 0 left-padded (its first query sees no key: zero output), row 1 right-padded.
  const pad = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
  const shape = { batch: B, seqLen: T, numHeads: Hq, numKvHeads: Hkv, headDim: D };
  checkGradients(() => attention(q, k, v, shape, pad), [q, k, v], rand);
  const out = attention(q, k, v, shape, pad);
  for (let i = 0; i < Hq * D; i++) assert.equal(out.data[i], 0, 'a query with only padded keys outputs zero');
});

test('attention: matches a plain softmax(QKᵀ/√D + causal mask)·V composition', () => {
  const rand = mulberry32(17);
  const [B, T, Hq, Hkv, D] = [1, 4, 2, 1, 3];
  const q = randomTensor([B * T, Hq * D], rand, false);
  const k = randomTensor([B * T, Hkv * D], rand, false);
  const v = randomTensor([B * T, Hkv * D], rand, false);
  const out = attention(q, k, v, { batch: B, seqLen: T, numHeads: Hq, numKvHeads: Hkv, headDim: D });
  for (let h = 0; h < Hq; h++) {
    for (let t = 0; t < T; t++) {
      const s: number[] = [];
      for (let j = 0; j <= t; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q.data[t * Hq * D + h * D + d] * k.data[j * D + d];
        s.push(dot / Math.sqrt(D));
      }
      const z = s.reduce((a, x) => a + Math.exp(x), 0);
      for (let d = 0; d < D; d++) {
        let want = 0;
        for (let j = 0; j <= t; j++) want += (Math.exp(s[j]) / z) * v.data[j * D + d];
        assert.ok(Math.abs(out.data[t * Hq * D + h * D + d] - want) < 1e-12);
      }
    }
  }
});

test('crossEntropy: logits gradient with ignored positions; sum and count', () => {
  const rand = mulberry32(18);
  const logits = randomTensor([5, 7], rand, true, 3);
  const targets = new Int32Array([2, -1, 6, 0, -1]);
  checkGradients(() => crossEntropy(logits, targets).loss, [logits], rand);
  const r = crossEntropy(logits, targets);
  assert.equal(r.count, 3);
  assert.ok(Math.abs(r.loss.data[0] - r.nllSum / 3) < 1e-12);
  assert.equal(r.tokenNll[1], 0);
  assert.throws(() => crossEntropy(logits, new Int32Array([7, 0, 0, 0, 0])), /target 7/);
});

test('a tensor used twice accumulates both gradients', () => {
  const rand = mulberry32(19);
  const x = randomTensor([2, 3], rand);
  const tape = new Tape();
  const y = tape.run(() => add(x, x));
  tape.backward(y, new Float64Array(6).fill(1));
  assert.deepEqual(Array.from(x.grad ?? []), [2, 2, 2, 2, 2, 2]);
});
