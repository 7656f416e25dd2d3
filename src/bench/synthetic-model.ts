// Randomly initialized LLaMA weights of any shape (normal, std 0.02 as HF initializes; norms at 1),
// for benchmarks at sizes no fixture has and for tests on tiny models. Seeded, so runs repeat.
import { f32ToBf16, f32ToF16 } from '../native/index.js';
import type { LlamaConfig } from '../model/config.js';
import { seededRandom } from '../model/sampling.js';
import type { DType, ModelWeights, WeightTensor } from '../model/weights.js';
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
  bosTokenId: 1,
  eosTokenId: 2,
  prunedAttention: [],
  prunedMlp: [],
};

export interface SyntheticOptions {
  dtype?: DType;
  seed?: number;
  /** Standard deviation of the matrices (default 0.02). */
  std?: number;
  /** Norm weights: 1 (default, as initialized) or random around 1 (`jitter`), so tests see their gradients. */
  normJitter?: number;
}

export function syntheticLlama(
  overrides: Partial<LlamaConfig> = {},
  opts: SyntheticOptions = {},
): ModelWeights {
  const base = { ...SYNTHETIC_2048, ...overrides };
  const config: LlamaConfig = {
    ...base,
    headDim: overrides.headDim ?? base.hiddenSize / base.numHeads,
  };
  const dtype = opts.dtype ?? 'f32';
  const std = opts.std ?? 0.02;
  const random = seededRandom(opts.seed ?? 0);
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const store = (shape: number[], values: Float32Array): WeightTensor =>
    dtype === 'f32'
      ? { dtype, shape, data: values }
      : { dtype, shape, data: dtype === 'bf16' ? f32ToBf16(values) : f32ToF16(values) };
  const matrix = (rows: number, cols: number): WeightTensor => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = normal() * std;
    return store([rows, cols], v);
  };
  const norm = (n: number): WeightTensor => {
    const v = new Float32Array(n);
    const j = opts.normJitter ?? 0;
    for (let i = 0; i < n; i++) v[i] = 1 + (j ? normal() * j : 0);
    return store([n], v);
  };
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
