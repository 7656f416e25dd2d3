// Randomly initialized LLaMA weights of any shape (normal, std 0.02 as HF initializes; norms at 1),
// for benchmarks at sizes no fixture has and for tests on tiny models. Seeded, so runs repeat; the
// values come from the addon's fillNormal (seconds for the 2048-wide model, where a JS loop took 40 s).
import { fillNormal } from '../native/ops.js';
import { unwrittenBuffer } from '../tensor/tensor.js';
import type { LlamaConfig } from '../model/config.js';
import type { FloatDType, ModelWeights, WeightTensor } from '../model/weights.js';
import { layerPrefix } from '../model/weights.js';

/** The benchmark model: 2048 wide, 16 blocks, 16 heads, 4 KV heads, MLP 5632, vocabulary 32000. */
export const SYNTHETIC_2048: LlamaConfig = {
  architecture: 'llama',
  vocabSize: 32000,
  hiddenSize: 2048,
  intermediateSize: 5632,
  numLayers: 16,
  numHeads: 16,
  numKvHeads: 4,
  headDim: 128,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxSeqLen: 2048,
  tieWordEmbeddings: false,
  attentionBias: false,
  qkNorm: false,
  ropeScaling: null,
  ropeFreqFactors: null,
  bosTokenId: 1,
  eosTokenId: 2,
  prunedAttention: [],
  prunedMlp: [],
};

/**
 * The shape of llama2.c's stories260K (dim 64, MLP 172, 5 blocks, 8 heads, 4 KV heads, vocabulary
 * 512, context 512, tied classifier: 260,032 parameters): a random model of it stands in for that
 * checkpoint in tests and fuzzing wherever the real one is absent.
 */
export const STORIES260K_SHAPE: Partial<LlamaConfig> = {
  vocabSize: 512,
  hiddenSize: 64,
  intermediateSize: 172,
  numLayers: 5,
  numHeads: 8,
  numKvHeads: 4,
  headDim: 8,
  maxSeqLen: 512,
  tieWordEmbeddings: true,
};

export interface SyntheticOptions {
  dtype?: FloatDType;
  seed?: number;
  /** Standard deviation of the matrices (default 0.02). */
  std?: number;
  /** Norm weights: 1 (default, as initialized) or random around 1 (`jitter`), so tests see their gradients. */
  normJitter?: number;
}

/** The config syntheticLlama builds for `overrides`: SYNTHETIC_2048's, overridden, head size derived. */
export function syntheticConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  const base = { ...SYNTHETIC_2048, ...overrides };
  return { ...base, headDim: overrides.headDim ?? base.hiddenSize / base.numHeads };
}

export function syntheticLlama(
  overrides: Partial<LlamaConfig> = {},
  opts: SyntheticOptions = {},
): ModelWeights {
  const config = syntheticConfig(overrides);
  const dtype = opts.dtype ?? 'f32';
  const std = opts.std ?? 0.02;
  const seed = opts.seed ?? 0;
  // Each tensor draws from its own stream of the seeded native generator, in the order built below.
  let stream = 0;
  // bf16/f16 tensors are filled directly, without an f32 copy of the model.
  const tensor = (shape: number[], mean: number, jitter: number): WeightTensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    // Written whole by fillNormal; in huge pages, as a model read from a file is in large folios.
    const data =
      dtype === 'f32'
        ? new Float32Array(unwrittenBuffer(size * 4))
        : new Uint16Array(unwrittenBuffer(size * 2));
    fillNormal(data, dtype, seed, stream++, mean, jitter);
    return { dtype, shape, data };
  };
  const matrix = (rows: number, cols: number): WeightTensor => tensor([rows, cols], 0, std);
  const norm = (n: number): WeightTensor => tensor([n], 1, opts.normJitter ?? 0);
  const c = config;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const tensors = new Map<string, WeightTensor>();
  tensors.set('model.embed_tokens.weight', matrix(c.vocabSize, c.hiddenSize));
  for (let l = 0; l < c.numLayers; l++) {
    const p = layerPrefix(l);
    tensors.set(`${p}input_layernorm.weight`, norm(c.hiddenSize));
    tensors.set(`${p}self_attn.q_proj.weight`, matrix(q, c.hiddenSize));
    tensors.set(`${p}self_attn.k_proj.weight`, matrix(kv, c.hiddenSize));
    tensors.set(`${p}self_attn.v_proj.weight`, matrix(kv, c.hiddenSize));
    tensors.set(`${p}self_attn.o_proj.weight`, matrix(c.hiddenSize, q));
    tensors.set(`${p}post_attention_layernorm.weight`, norm(c.hiddenSize));
    tensors.set(`${p}mlp.gate_proj.weight`, matrix(c.intermediateSize, c.hiddenSize));
    tensors.set(`${p}mlp.up_proj.weight`, matrix(c.intermediateSize, c.hiddenSize));
    tensors.set(`${p}mlp.down_proj.weight`, matrix(c.hiddenSize, c.intermediateSize));
  }
  tensors.set('model.norm.weight', norm(c.hiddenSize));
  if (!c.tieWordEmbeddings) tensors.set('lm_head.weight', matrix(c.vocabSize, c.hiddenSize));
  return { config, tensors };
}
