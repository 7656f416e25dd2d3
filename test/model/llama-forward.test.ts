// The whole LLaMA forward on a tiny random model: loss gradients by finite differences (f64), the
// f32 native path against the f64 path, frozen weights without gradient memory, hooks and pruning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LlamaConfig } from '../../src/model/config.js';
import type { ModelWeights, WeightTensor } from '../../src/model/weights.js';
import { layerPrefix } from '../../src/model/weights.js';
import {
  buildModel,
  llamaForward,
  nextTokenTargets,
  trainableParameters,
} from '../../src/model/llama-forward.js';
import { f32ToBf16 } from '../../src/native/index.js';
import { Tape, isTensor, Tensor } from '../../src/tensor/index.js';
import { mulberry32 } from '../helpers/random.js';
import { checkGradients } from '../tensor/gradcheck.js';

function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    architecture: 'llama',
    vocabSize: 11,
    hiddenSize: 16,
    intermediateSize: 13,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxSeqLen: 64,
    tieWordEmbeddings: true,
    attentionBias: false,
    qkNorm: false,
    ropeScaling: null,
    ropeFreqFactors: null,
    bosTokenId: 1,
    eosTokenId: 2,
    prunedAttention: [],
    prunedMlp: [],
    ...overrides,
  };
}

/** Random f32 weights with HF names and shapes; norms near 1 as in a trained model. */
function randomWeights(config: LlamaConfig, seed: number): ModelWeights {
  const rand = mulberry32(seed);
  const tensors = new Map<string, WeightTensor>();
  const put = (name: string, shape: number[], scale: number, offset = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = offset + (rand() * 2 - 1) * scale;
    tensors.set(name, { dtype: 'f32', shape, data });
  };
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, numHeads: H, numKvHeads: K, headDim: D } = config;
  put('model.embed_tokens.weight', [V, C], 1);
  put('model.norm.weight', [C], 0.2, 1);
  if (!config.tieWordEmbeddings) put('lm_head.weight', [V, C], 0.5);
  for (let i = 0; i < config.numLayers; i++) {
    const p = layerPrefix(i);
    if (!config.prunedAttention.includes(i)) {
      put(`${p}input_layernorm.weight`, [C], 0.2, 1);
      put(`${p}self_attn.q_proj.weight`, [H * D, C], 0.5);
      put(`${p}self_attn.k_proj.weight`, [K * D, C], 0.5);
      put(`${p}self_attn.v_proj.weight`, [K * D, C], 0.5);
      put(`${p}self_attn.o_proj.weight`, [C, H * D], 0.5);
      if (config.attentionBias) {
        put(`${p}self_attn.q_proj.bias`, [H * D], 0.3);
        put(`${p}self_attn.k_proj.bias`, [K * D], 0.3);
        put(`${p}self_attn.v_proj.bias`, [K * D], 0.3);
      }
    }
    if (!config.prunedMlp.includes(i)) {
      put(`${p}post_attention_layernorm.weight`, [C], 0.2, 1);
      put(`${p}mlp.gate_proj.weight`, [F, C], 0.5);
      put(`${p}mlp.up_proj.weight`, [F, C], 0.5);
      put(`${p}mlp.down_proj.weight`, [C, F], 0.5);
    }
  }
  return { config, tensors };
}

const B = 2;
const T = 5;
const ids = new Int32Array([1, 4, 9, 10, 3, 0, 0, 1, 7, 7]);
// Row 1 is left-padded by two tokens.
const paddingMask = new Uint8Array([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
const targets = nextTokenTargets(ids, B, T, paddingMask);

const checked = [
  'model.embed_tokens.weight',
  'model.norm.weight',
  'model.layers.0.self_attn.q_proj.weight',
  'model.layers.0.self_attn.k_proj.weight',
  'model.layers.1.self_attn.v_proj.weight',
  'model.layers.1.post_attention_layernorm.weight',
  'model.layers.1.mlp.down_proj.weight',
  'model.layers.0.mlp.gate_proj.weight',
];

test('tiny LLaMA: loss gradients of parameters and input embeddings match finite differences (f64)', () => {
  const model = buildModel(randomWeights(tinyConfig(), 1), { kind: 'f64', trainable: checked });
  const params = [...trainableParameters(model).values()];
  assert.equal(params.length, checked.length);
  const rand = mulberry32(2);
  const opts = { batch: B, seqLen: T, paddingMask, targets };
  const lossOf = (): Tensor => llamaForward(model, ids, opts).loss as Tensor;
  checkGradients(lossOf, params, rand, { tolerance: 2e-6 });

  const embeds = llamaForward(model, ids, { batch: B, seqLen: T }).embeddings;
  const input = new Tensor(embeds.shape, Float64Array.from(embeds.data), true);
  checkGradients(
    () => llamaForward(model, ids, { ...opts, inputEmbeds: input }).loss as Tensor,
    [input],
    rand,
    {
      tolerance: 2e-6,
    },
  );
});

test('tiny LLaMA with q/k/v biases and pruned sublayers: gradients match finite differences (f64)', () => {
  const config = tinyConfig({
    attentionBias: true,
    tieWordEmbeddings: false,
    numLayers: 3,
    prunedAttention: [1],
    prunedMlp: [2],
  });
  const names = [
    'model.layers.0.self_attn.q_proj.bias',
    'model.layers.2.self_attn.v_proj.bias',
    'lm_head.weight',
  ];
  const model = buildModel(randomWeights(config, 3), { kind: 'f64', trainable: names });
  const rand = mulberry32(4);
  checkGradients(
    () => llamaForward(model, ids, { batch: B, seqLen: T, paddingMask, targets }).loss as Tensor,
    [...trainableParameters(model).values()],
    rand,
    { tolerance: 2e-6 },
  );
});

function maxRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return worst;
}

test('tiny LLaMA: the f32 native path equals the f64 path (logits, loss, gradients), with the fused head and without', () => {
  const weights = randomWeights(tinyConfig(), 5);
  const run = (kind: 'f32' | 'f64', keepLogits: boolean) => {
    const model = buildModel(weights, { kind, trainable: checked });
    const tape = new Tape();
    const r = llamaForward(model, ids, {
      batch: B,
      seqLen: T,
      paddingMask,
      targets,
      keepLogits,
      tape,
      activationGrads: true,
    });
    tape.backward(r.loss as Tensor);
    return { r, params: trainableParameters(model) };
  };
  const f64 = run('f64', true);
  assert.ok(f64.r.logits);
  for (const keepLogits of [true, false]) {
    const f32 = run('f32', keepLogits);
    if (keepLogits) {
      assert.ok(f32.r.logits?.data instanceof Float32Array);
      assert.ok(maxRelative(f32.r.logits.data, f64.r.logits.data) < 1e-5, 'logits');
    } else {
      assert.equal(f32.r.logits, undefined, 'the fused head returns no logits');
    }
    assert.ok(Math.abs((f32.r.loss as Tensor).data[0] - (f64.r.loss as Tensor).data[0]) < 1e-5, 'loss');
    assert.equal(f32.r.tokenCount, 6);
    for (const name of checked) {
      const g32 = f32.params.get(name)?.grad,
        g64 = f64.params.get(name)?.grad;
      assert.ok(g32 && g64, name);
      assert.ok(maxRelative(g32, g64) < 1e-5, `${name} (keepLogits ${keepLogits}): ${maxRelative(g32, g64)}`);
    }
    assert.ok(
      maxRelative(f32.r.embeddings.grad ?? [], f64.r.embeddings.grad ?? [1]) < 1e-5,
      'embedding activation grad',
    );
  }
});

test('tiny LLaMA: frozen weights get no gradient buffers; only requested parameters do', () => {
  const model = buildModel(randomWeights(tinyConfig(), 6), {
    trainable: ['model.layers.1.mlp.up_proj.weight'],
  });
  const tape = new Tape();
  const r = llamaForward(model, ids, { batch: B, seqLen: T, paddingMask, targets, tape });
  tape.backward(r.loss as Tensor);
  for (const [name, w] of model.weights) {
    if (name === 'model.layers.1.mlp.up_proj.weight') {
      assert.ok(isTensor(w) && w.grad !== null);
    } else {
      assert.ok(!isTensor(w), `${name} stays the stored WeightTensor`);
    }
  }
  // Activations before the first trainable weight need no gradient either.
  assert.equal(r.embeddings.grad, null);
  const f64 = buildModel(randomWeights(tinyConfig(), 6), { kind: 'f64' });
  const t2 = new Tape();
  llamaForward(f64, ids, { batch: B, seqLen: T, targets, tape: t2 });
  assert.equal(t2.length, 0, 'nothing recorded when nothing is trainable');
});

test('tiny LLaMA: hooks see every block; no-grad runs record nothing; padding does not leak', () => {
  const model = buildModel(randomWeights(tinyConfig(), 7));
  const seen: string[] = [];
  const r = llamaForward(model, ids, {
    batch: B,
    seqLen: T,
    paddingMask,
    hooks: {
      blockInput: (i, h) => seen.push(`in${i}:${h.shape.join('x')}`),
      blockOutput: (i, h) => seen.push(`out${i}:${h.shape.join('x')}`),
    },
  });
  assert.deepEqual(seen, ['in0:10x16', 'out0:10x16', 'in1:10x16', 'out1:10x16']);
  assert.equal(r.logits.requiresGrad, false);
  // Row 1's real tokens give the same logits as the same tokens unpadded in a batch of one.
  const alone = llamaForward(model, ids.subarray(7), { batch: 1, seqLen: 3 });
  const padded = r.logits.data.subarray(7 * 11);
  assert.ok(maxRelative(padded, alone.logits.data) < 1e-5);
});

test('tiny LLaMA: bf16 weights on the f32 path stay close to the f64 path, gradients included', () => {
  const weights = randomWeights(tinyConfig(), 8);
  for (const [name, w] of weights.tensors)
    weights.tensors.set(name, { dtype: 'bf16', shape: w.shape, data: f32ToBf16(w.data as Float32Array) });
  // A trainable first-block weight makes the gradient flow back through every frozen bf16 matrix (dX = dY·W).
  const trainable = ['model.layers.0.self_attn.q_proj.weight'];
  const runs = (['f32', 'f64'] as const).map((kind) => {
    const model = buildModel(weights, { kind, trainable });
    const tape = new Tape();
    const r = llamaForward(model, ids, { batch: B, seqLen: T, targets, tape });
    tape.backward(r.loss as Tensor);
    return {
      logits: llamaForward(model, ids, { batch: B, seqLen: T }).logits.data,
      grad: trainableParameters(model).get(trainable[0])?.grad ?? new Float32Array(0),
    };
  });
  // Loose: with AVX512-BF16 the GEMM rounds activations to bf16, as PyTorch does.
  assert.ok(maxRelative(runs[0].logits, runs[1].logits) < 3e-2);
  assert.ok(maxRelative(runs[0].grad, runs[1].grad) < 5e-2);
});
