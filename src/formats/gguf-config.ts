// The model configuration in GGUF metadata, per llama.cpp architecture (`llama`, `qwen2`, `qwen3`):
// the `<arch>.*` hyperparameter keys, rotary scaling (`<arch>.rope.scaling.*` and Llama 3's
// `rope_freqs.weight` divisors), read into our LlamaConfig and written back as llama.cpp's
// converter writes them. Keys llama.cpp allows per layer (head counts, feed-forward length) may be
// arrays of one value per block; they are read when uniform.
import type { Architecture, LlamaConfig } from '../model/config.js';
import { validateConfig } from '../model/config.js';
import type { RopeScaling } from '../model/rotary.js';
import { identifyLlama3Scaling, llama3FreqFactors } from '../model/rotary.js';
import { FormatError } from './errors.js';
import { ropeScalingFromHf, ropeScalingToHf } from './hf-rope-scaling.js';
import { shortestF32Decimal } from './float-text.js';
import type { GgufMetadata, GgufValue } from './gguf-metadata.js';
import { ggufNumber, ggufString } from './gguf-metadata.js';

/** llama.cpp architectures we read, and whether their q/k rows use the interleaved rotary layout. */
export const GGUF_ARCHITECTURES = {
  llama: { interleavedRotary: true },
  qwen2: { interleavedRotary: false },
  qwen3: { interleavedRotary: false },
} as const;
export type GgufArchitecture = keyof typeof GGUF_ARCHITECTURES;

/** The llama.cpp architecture a model is written as (Mistral is a `llama` to llama.cpp). */
export function ggufArchitecture(a: Architecture): GgufArchitecture {
  return a === 'qwen2' || a === 'qwen3' ? a : 'llama';
}

export function ggufArchitectureOf(md: GgufMetadata, file: string): GgufArchitecture {
  const arch = ggufString(md, 'general.architecture', file);
  if (arch === undefined || !(arch in GGUF_ARCHITECTURES))
    throw new FormatError(
      file,
      'general.architecture',
      `one of ${Object.keys(GGUF_ARCHITECTURES).join(', ')} (got ${JSON.stringify(arch)})`,
    );
  return arch as GgufArchitecture;
}

/** A count that may be stored per layer: a number, or an array with one (equal) value per block. */
function layerUniform(md: GgufMetadata, key: string, file: string): number | undefined {
  const v = md.get(key);
  if (v?.type !== 'array') return ggufNumber(md, key, file);
  const values = v.value.map(Number);
  if (values.length === 0 || values.some((x) => !Number.isFinite(x) || x !== values[0]))
    throw new FormatError(
      file,
      key,
      `the same value for every block (per-block differences are not supported; got [${values.slice(0, 8).join(', ')}${values.length > 8 ? ', …' : ''}])`,
    );
  return values[0];
}

function required(md: GgufMetadata, key: string, file: string): number {
  const v = layerUniform(md, key, file);
  if (v === undefined) throw new FormatError(file, key, 'a value (the key is missing)');
  return v;
}

function blockIndices(md: GgufMetadata, key: string, file: string): number[] {
  const v = md.get(key);
  if (v === undefined) return [];
  if (v.type !== 'array' || !v.value.every((i) => typeof i === 'number'))
    throw new FormatError(file, key, 'an array of block indices');
  return v.value as number[];
}

function ropeScalingFromGguf(
  md: GgufMetadata,
  arch: string,
  maxSeqLen: number,
  file: string,
): RopeScaling | null {
  const k = `${arch}.rope.scaling`;
  const type = ggufString(md, `${k}.type`, file);
  if (type === undefined || type === 'none') return null;
  const factor = ggufNumber(md, `${k}.factor`, file);
  if (type === 'linear') {
    if (factor === undefined) throw new FormatError(file, `${k}.factor`, 'a value for linear scaling');
    return { type: 'linear', factor: shortestF32Decimal(factor) };
  }
  if (type === 'yarn') {
    if (factor === undefined) throw new FormatError(file, `${k}.factor`, 'a value for YaRN scaling');
    const attn = ggufNumber(md, `${k}.attn_factor`, file);
    return {
      type: 'yarn',
      factor: shortestF32Decimal(factor),
      originalMaxPositionEmbeddings: ggufNumber(md, `${k}.original_context_length`, file) ?? maxSeqLen,
      betaFast: ggufNumber(md, `${arch}.rope.scaling.yarn_beta_fast`, file) || 32,
      betaSlow: ggufNumber(md, `${arch}.rope.scaling.yarn_beta_slow`, file) || 1,
      attentionFactor: attn === undefined || attn === 1 ? null : shortestF32Decimal(attn),
      mscale: null,
      mscaleAllDim: null,
      truncate: true,
    };
  }
  throw new FormatError(file, `${k}.type`, `none, linear or yarn (got ${JSON.stringify(type)})`);
}

/** Llama 3 parameters this project stores beside rope_freqs (llama.cpp keeps only the factors). */
const SHORTEN_ROPE_SCALING = 'shorten.rope_scaling';

function shortenRopeScaling(md: GgufMetadata, maxSeqLen: number, file: string): RopeScaling | null {
  const text = ggufString(md, SHORTEN_ROPE_SCALING, file);
  if (text === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FormatError(file, SHORTEN_ROPE_SCALING, 'a JSON rope_scaling object');
  }
  return ropeScalingFromHf(json, maxSeqLen, file, SHORTEN_ROPE_SCALING);
}

/** The extra keys this project writes so its own reader restores what llama.cpp's keys cannot say. */
export function shortenRopeKeys(c: LlamaConfig): [string, GgufValue][] {
  if (c.ropeScaling?.type !== 'llama3') return [];
  return [[SHORTEN_ROPE_SCALING, str(JSON.stringify(ropeScalingToHf(c, SHORTEN_ROPE_SCALING)))]];
}

/**
 * The normalized config from GGUF metadata; `tensorNames` are the HF names present (for tying and
 * biases), `ropeFreqs` the `rope_freqs.weight` values when the file has that tensor.
 */
export function configFromGgufMetadata(
  md: GgufMetadata,
  tensorNames: ReadonlySet<string>,
  embeddingRows: number | undefined,
  ropeFreqs: Float32Array | null,
  file: string,
): LlamaConfig {
  const arch = ggufArchitectureOf(md, file);
  const key = (k: string): string => `${arch}.${k}`;
  const hiddenSize = required(md, key('embedding_length'), file);
  const numHeads = required(md, key('attention.head_count'), file);
  const tokens = md.get('tokenizer.ggml.tokens');
  const vocabSize =
    ggufNumber(md, key('vocab_size'), file) ??
    (tokens?.type === 'array' ? tokens.value.length : undefined) ??
    embeddingRows;
  if (vocabSize === undefined) throw new FormatError(file, key('vocab_size'), 'a value or a token list');
  const headDim =
    ggufNumber(md, key('attention.key_length'), file) ??
    ggufNumber(md, key('rope.dimension_count'), file) ??
    hiddenSize / numHeads;
  if (!Number.isInteger(headDim))
    throw new FormatError(
      file,
      key('attention.head_count'),
      `a divisor of ${key('embedding_length')} ${hiddenSize} (got ${numHeads})`,
    );
  const valueLength = ggufNumber(md, key('attention.value_length'), file);
  if (valueLength !== undefined && valueLength !== headDim)
    throw new FormatError(
      file,
      key('attention.value_length'),
      `the key length ${headDim} (got ${valueLength})`,
    );
  const ropeDims = ggufNumber(md, key('rope.dimension_count'), file);
  if (ropeDims !== undefined && ropeDims !== headDim)
    throw new FormatError(
      file,
      key('rope.dimension_count'),
      `the head width ${headDim} (partial rotary is not supported; got ${ropeDims})`,
    );
  const maxSeqLen = required(md, key('context_length'), file);
  const ropeTheta = shortestF32Decimal(ggufNumber(md, key('rope.freq_base'), file) ?? 10000);
  // Files this project wrote before it wrote qwen2 as qwen2 carry the HF architecture here.
  const hint = ggufString(md, 'shorten.architecture', file);
  const architecture: Architecture =
    arch === 'llama' ? (hint === 'mistral' || hint === 'qwen2' ? hint : 'llama') : arch;
  const ropeFreqFactors = ropeFreqs ? Array.from(ropeFreqs) : null;
  if (ropeFreqFactors && ropeFreqFactors.length !== headDim / 2)
    throw new FormatError(file, 'rope_freqs.weight', `${headDim / 2} values (got ${ropeFreqFactors.length})`);
  const ropeScaling =
    ropeScalingFromGguf(md, arch, maxSeqLen, file) ??
    shortenRopeScaling(md, maxSeqLen, file) ??
    (ropeFreqFactors ? identifyLlama3Scaling(ropeFreqFactors, headDim, ropeTheta) : null);
  const config: LlamaConfig = {
    architecture,
    vocabSize,
    hiddenSize,
    intermediateSize: required(md, key('feed_forward_length'), file),
    numLayers: required(md, key('block_count'), file),
    numHeads,
    numKvHeads: layerUniform(md, key('attention.head_count_kv'), file) ?? numHeads,
    headDim,
    rmsNormEps: shortestF32Decimal(required(md, key('attention.layer_norm_rms_epsilon'), file)),
    ropeTheta,
    ropeScaling,
    ropeFreqFactors,
    maxSeqLen,
    tieWordEmbeddings: !tensorNames.has('lm_head.weight'),
    attentionBias: tensorNames.has('model.layers.0.self_attn.q_proj.bias'),
    qkNorm: arch === 'qwen3',
    bosTokenId: ggufNumber(md, 'tokenizer.ggml.bos_token_id', file) ?? 1,
    eosTokenId: ggufNumber(md, 'tokenizer.ggml.eos_token_id', file) ?? 2,
    prunedAttention: blockIndices(md, 'shorten.pruned_attention', file),
    prunedMlp: blockIndices(md, 'shorten.pruned_mlp', file),
  };
  validateConfig(config, file);
  return config;
}

const u32 = (value: number): GgufValue => ({ type: 'u32', value });
const f32 = (value: number): GgufValue => ({ type: 'f32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

/** The `<arch>.*` keys llama.cpp's converter writes for this config. */
export function ggufMetadataFromConfig(c: LlamaConfig): [string, GgufValue][] {
  const arch = ggufArchitecture(c.architecture);
  const key = (k: string): string => `${arch}.${k}`;
  const out: [string, GgufValue][] = [
    [key('context_length'), u32(c.maxSeqLen)],
    [key('embedding_length'), u32(c.hiddenSize)],
    [key('block_count'), u32(c.numLayers)],
    [key('feed_forward_length'), u32(c.intermediateSize)],
    [key('attention.head_count'), u32(c.numHeads)],
    [key('attention.head_count_kv'), u32(c.numKvHeads)],
    [key('rope.freq_base'), f32(c.ropeTheta)],
    [key('attention.layer_norm_rms_epsilon'), f32(c.rmsNormEps)],
    [key('vocab_size'), u32(c.vocabSize)],
    [key('rope.dimension_count'), u32(c.headDim)],
  ];
  if (c.headDim * c.numHeads !== c.hiddenSize || c.architecture === 'qwen3')
    out.push([key('attention.key_length'), u32(c.headDim)], [key('attention.value_length'), u32(c.headDim)]);
  const s = c.ropeScaling;
  if (s?.type === 'linear')
    out.push([key('rope.scaling.type'), str('linear')], [key('rope.scaling.factor'), f32(s.factor)]);
  if (s?.type === 'yarn') {
    out.push(
      [key('rope.scaling.type'), str('yarn')],
      [key('rope.scaling.factor'), f32(s.factor)],
      [key('rope.scaling.original_context_length'), u32(s.originalMaxPositionEmbeddings)],
    );
    if (s.attentionFactor !== null) out.push([key('rope.scaling.attn_factor'), f32(s.attentionFactor)]);
  }
  return out;
}

/** What a GGUF cannot say about rotary scaling, refused before anything is written. */
export function checkGgufRope(c: LlamaConfig, file: string): void {
  const s = c.ropeScaling;
  if (!s || c.ropeFreqFactors || s.type === 'linear' || s.type === 'llama3') return;
  if (s.type === 'dynamic')
    throw new FormatError(
      file,
      'rope_scaling',
      'a rope type llama.cpp can hold (dynamic NTK has no GGUF key)',
    );
  if (s.betaFast !== 32 || s.betaSlow !== 1 || s.mscale !== null || s.mscaleAllDim !== null || !s.truncate)
    throw new FormatError(
      file,
      'rope_scaling',
      'YaRN with beta_fast 32, beta_slow 1, truncate and no mscale (what llama.cpp computes)',
    );
}

/** Llama 3's rope_freqs.weight for the file: stored factors, else computed from the config's llama3 scaling. */
export function ropeFreqsTensor(c: LlamaConfig): Float32Array | null {
  if (c.ropeFreqFactors) return Float32Array.from(c.ropeFreqFactors);
  if (c.ropeScaling?.type === 'llama3')
    return Float32Array.from(llama3FreqFactors(c.headDim, c.ropeTheta, c.ropeScaling));
  return null;
}
