// Hugging Face `config.json` for LLaMA-family causal LMs (Llama 1-3, Mistral, Qwen2/2.5, Qwen3,
// SmolLM) to and from our normalized LlamaConfig, with Transformers' defaults for the fields a
// config may leave out. Written configs name only fields Transformers knows for that class.
import type { Architecture, LlamaConfig } from '../model/config.js';
import { ConfigError, validateConfig } from '../model/config.js';
import type { DType, FloatDType } from '../model/weights.js';
import { ropeScalingFromHf, ropeScalingToHf } from './hf-rope-scaling.js';

const ARCHITECTURES: Record<string, Architecture> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};
const CLASS_NAME: Record<Architecture, string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};
const QWEN = new Set<Architecture>(['qwen2', 'qwen3']);
const TORCH_DTYPE: Record<FloatDType, string> = { f32: 'float32', bf16: 'bfloat16', f16: 'float16' };

type Json = Record<string, unknown>;

function integer(j: Json, key: string, file: string, fallback?: number): number {
  const v = j[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new ConfigError(file, key, `an integer (got ${JSON.stringify(j[key])})`);
  return v;
}

function number(j: Json, key: string, file: string, fallback: number): number {
  const v = j[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ConfigError(file, key, `a number (got ${JSON.stringify(v)})`);
  return v;
}

function tokenId(j: Json, key: string, file: string, fallback: number): number {
  let v = j[key];
  if (Array.isArray(v)) v = v[0]; // Llama 3 lists several end tokens; the first is the primary one.
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ConfigError(file, key, `a token id (got ${JSON.stringify(j[key])})`);
  return v;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blockList(j: Json, key: string, file: string): number[] {
  const v = j[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((i) => Number.isSafeInteger(i)))
    throw new ConfigError(file, key, `an array of block indices (got ${JSON.stringify(v)})`);
  return [...(v as number[])];
}

/** Normalizes a parsed config.json; `file` names it in errors. */
export function configFromHfJson(j: unknown, file: string): LlamaConfig {
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new ConfigError(file, '(root)', 'a JSON object');
  const c = j as Json;
  const names = c.architectures;
  const known = Object.keys(ARCHITECTURES).join(', ');
  if (
    !Array.isArray(names) ||
    names.length !== 1 ||
    typeof names[0] !== 'string' ||
    !(names[0] in ARCHITECTURES)
  )
    throw new ConfigError(file, 'architectures', `one of [${known}] (got ${JSON.stringify(names)})`);
  const architecture = ARCHITECTURES[names[0]];

  const hiddenSize = integer(c, 'hidden_size', file);
  const numHeads = integer(c, 'num_attention_heads', file);
  let headDim: number;
  if (c.head_dim === undefined || c.head_dim === null) {
    if (numHeads < 1 || hiddenSize % numHeads !== 0)
      throw new ConfigError(
        file,
        'num_attention_heads',
        `a divisor of hidden_size ${hiddenSize} when head_dim is absent (got ${numHeads})`,
      );
    headDim = hiddenSize / numHeads;
  } else headDim = integer(c, 'head_dim', file);

  if (c.hidden_act !== undefined && c.hidden_act !== 'silu')
    throw new ConfigError(file, 'hidden_act', `"silu" (got ${JSON.stringify(c.hidden_act)})`);
  if (c.mlp_bias === true) throw new ConfigError(file, 'mlp_bias', 'false (MLP biases are not supported)');
  // Llama's and Qwen3's attention_bias also bias o_proj, which the model does not hold; Qwen2 biases q/k/v only, always.
  if (architecture !== 'qwen2' && c.attention_bias === true)
    throw new ConfigError(file, 'attention_bias', 'false (o_proj biases are not supported)');
  if (QWEN.has(architecture) && c.use_sliding_window === true)
    throw new ConfigError(file, 'use_sliding_window', 'false (sliding-window attention is not supported)');
  const partial = c.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1)
    throw new ConfigError(
      file,
      'partial_rotary_factor',
      `1 (partial rotary embeddings are not supported; got ${JSON.stringify(partial)})`,
    );
  const maxSeqLen = integer(c, 'max_position_embeddings', file, architecture === 'llama' ? 2048 : 32768);
  // transformers 5 writes rope_parameters (rope_theta inside); 4.x writes rope_scaling and rope_theta.
  const params = c.rope_parameters;
  const ropeSource = isObject(params) ? 'rope_parameters' : 'rope_scaling';
  const ropeTheta = isObject(params)
    ? number(params, 'rope_theta', file, number(c, 'rope_theta', file, 10000))
    : number(c, 'rope_theta', file, 10000);

  const defaultBos = QWEN.has(architecture) ? 151643 : 1;
  const defaultEos = QWEN.has(architecture) ? 151643 : 2;
  const config: LlamaConfig = {
    architecture,
    vocabSize: integer(c, 'vocab_size', file),
    hiddenSize,
    intermediateSize: integer(c, 'intermediate_size', file),
    numLayers: integer(c, 'num_hidden_layers', file),
    numHeads,
    numKvHeads: integer(c, 'num_key_value_heads', file, numHeads),
    headDim,
    rmsNormEps: number(c, 'rms_norm_eps', file, 1e-6),
    ropeTheta,
    ropeScaling: ropeScalingFromHf(c[ropeSource], maxSeqLen, file, ropeSource),
    ropeFreqFactors: null,
    maxSeqLen,
    tieWordEmbeddings: c.tie_word_embeddings === undefined ? false : c.tie_word_embeddings === true,
    attentionBias: architecture === 'qwen2',
    qkNorm: architecture === 'qwen3',
    bosTokenId: tokenId(c, 'bos_token_id', file, defaultBos),
    eosTokenId: tokenId(c, 'eos_token_id', file, defaultEos),
    prunedAttention: blockList(c, 'shorten_pruned_attention', file),
    prunedMlp: blockList(c, 'shorten_pruned_mlp', file),
  };
  if (c.tie_word_embeddings !== undefined && typeof c.tie_word_embeddings !== 'boolean')
    throw new ConfigError(
      file,
      'tie_word_embeddings',
      `a boolean (got ${JSON.stringify(c.tie_word_embeddings)})`,
    );
  if (config.numKvHeads < 1 || numHeads % config.numKvHeads !== 0)
    throw new ConfigError(
      file,
      'num_key_value_heads',
      `a divisor of num_attention_heads ${numHeads} (got ${config.numKvHeads})`,
    );
  validateConfig(config, file);
  return config;
}

/** The config.json object Transformers reads back into the same model. */
export function hfJsonFromConfig(c: LlamaConfig, dtype: DType, file = 'config.json'): Json {
  if (c.attentionBias && c.architecture !== 'qwen2')
    throw new ConfigError(
      file,
      'attentionBias',
      'false for llama/mistral/qwen3 (only Qwen2 has q/k/v biases alone)',
    );
  if (c.qkNorm !== (c.architecture === 'qwen3'))
    throw new ConfigError(
      file,
      'qkNorm',
      `${c.architecture === 'qwen3'} for ${c.architecture} (only Qwen3 has q/k norms)`,
    );
  if (!(dtype in TORCH_DTYPE))
    throw new ConfigError(file, 'torch_dtype', `f32, bf16 or f16 weights (got ${dtype})`);
  const j: Json = {
    architectures: [CLASS_NAME[c.architecture]],
    model_type: c.architecture,
    torch_dtype: TORCH_DTYPE[dtype as FloatDType],
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScalingToHf(c, file),
    max_position_embeddings: c.maxSeqLen,
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    use_cache: true,
  };
  if (c.architecture === 'llama') Object.assign(j, { attention_bias: false, mlp_bias: false });
  if (c.architecture === 'mistral') j.sliding_window = null;
  if (c.architecture === 'qwen2') Object.assign(j, { use_sliding_window: false, sliding_window: null });
  if (c.architecture === 'qwen3')
    Object.assign(j, { attention_bias: false, use_sliding_window: false, sliding_window: null });
  if (c.prunedAttention.length > 0) j.shorten_pruned_attention = [...c.prunedAttention];
  if (c.prunedMlp.length > 0) j.shorten_pruned_mlp = [...c.prunedMlp];
  return j;
}
