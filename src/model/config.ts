// The normalized LLaMA-family configuration every loader produces and every consumer reads,
// whatever the source format (HF folder, GGUF, llama2.c). The architectures differ only in a few
// switches read by the one block forward: rotary scaling, q/k/v biases, per-head q/k norms, tying.
import type { RopeScaling } from './rotary.js';

export type Architecture = 'llama' | 'mistral' | 'qwen2' | 'qwen3';

export interface LlamaConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Per-head width; hiddenSize / numHeads unless the checkpoint says otherwise. */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** transformers' rope_scaling (rope_type llama3, linear, dynamic, yarn), or null for plain RoPE. */
  ropeScaling: RopeScaling | null;
  /** llama.cpp's rope_freqs.weight (GGUF): per-frequency divisors; when set they decide the frequencies. */
  ropeFreqFactors: number[] | null;
  /** max_position_embeddings. */
  maxSeqLen: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2). */
  attentionBias: boolean;
  /** Per-head RMSNorm of q and k before the rotary embedding (Qwen3's q_norm / k_norm). */
  qkNorm: boolean;
  bosTokenId: number;
  eosTokenId: number;
  /**
   * Sublayer removal: indices of blocks whose attention (resp. MLP) sublayer was pruned away.
   * Such a block keeps its other sublayer; its pruned sublayer's weights are absent.
   */
  prunedAttention: number[];
  prunedMlp: number[];
}

/** Throws a message naming the source and field when a configuration cannot describe a working model. */
export function validateConfig(c: LlamaConfig, source: string): void {
  const positive: (keyof LlamaConfig)[] = [
    'vocabSize',
    'hiddenSize',
    'intermediateSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'headDim',
    'maxSeqLen',
  ];
  for (const f of positive) {
    const v = c[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1 << 24)
      throw new ConfigError(source, f, `a positive integer (got ${JSON.stringify(v)})`);
  }
  if (c.numHeads % c.numKvHeads !== 0)
    throw new ConfigError(
      source,
      'numKvHeads',
      `a divisor of the head count ${c.numHeads} (got ${c.numKvHeads})`,
    );
  if (c.headDim % 2 !== 0) throw new ConfigError(source, 'headDim', `an even number (got ${c.headDim})`);
  if (!(c.rmsNormEps > 0 && c.rmsNormEps < 1))
    throw new ConfigError(source, 'rmsNormEps', `a number in (0, 1) (got ${c.rmsNormEps})`);
  if (!(c.ropeTheta > 0))
    throw new ConfigError(source, 'ropeTheta', `a positive number (got ${c.ropeTheta})`);
  if (
    c.ropeFreqFactors &&
    (c.ropeFreqFactors.length !== c.headDim / 2 || !c.ropeFreqFactors.every((f) => f > 0))
  )
    throw new ConfigError(
      source,
      'ropeFreqFactors',
      `${c.headDim / 2} positive factors, one per rotary frequency (got ${c.ropeFreqFactors.length})`,
    );
  if (c.ropeScaling) checkRopeScaling(c.ropeScaling, source);
  for (const f of ['prunedAttention', 'prunedMlp'] as const) {
    for (const i of c[f])
      if (!Number.isInteger(i) || i < 0 || i >= c.numLayers)
        throw new ConfigError(source, f, `block indices in [0, ${c.numLayers}) (got ${i})`);
  }
}

function checkRopeScaling(s: RopeScaling, source: string): void {
  const positive = (v: number, field: string): void => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new ConfigError(source, `rope_scaling.${field}`, `a positive number (got ${JSON.stringify(v)})`);
  };
  positive(s.factor, 'factor');
  if (s.type === 'llama3') {
    positive(s.lowFreqFactor, 'low_freq_factor');
    positive(s.highFreqFactor, 'high_freq_factor');
    positive(s.originalMaxPositionEmbeddings, 'original_max_position_embeddings');
    if (!(s.highFreqFactor > s.lowFreqFactor))
      throw new ConfigError(
        source,
        'rope_scaling.high_freq_factor',
        `a number above low_freq_factor ${s.lowFreqFactor} (got ${s.highFreqFactor})`,
      );
  }
  if (s.type === 'yarn') {
    positive(s.originalMaxPositionEmbeddings, 'original_max_position_embeddings');
    positive(s.betaFast, 'beta_fast');
    positive(s.betaSlow, 'beta_slow');
    if (s.attentionFactor !== null) positive(s.attentionFactor, 'attention_factor');
  }
}

/** A configuration or header field that does not describe a valid model. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: field '${field}': expected ${expected}`);
    this.name = 'ConfigError';
  }
}
