// Rotary embedding frequencies for every rope scaling the supported checkpoints use, computed as
// transformers' ROPE_INIT_FUNCTIONS do (in float64 rather than float32): the D/2 inverse frequencies
// and the factor YaRN multiplies cos and sin by. GGUF files may instead carry llama.cpp's per-frequency
// divisors (the `rope_freqs.weight` tensor of Llama 3 conversions), which take precedence.

export type RopeScaling =
  | { type: 'linear'; factor: number }
  /** NTK-aware: the base grows with the sequence length, only past the original context. */
  | { type: 'dynamic'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositionEmbeddings: number;
      betaFast: number;
      betaSlow: number;
      /** Given in the config; otherwise derived from factor (and mscale / mscaleAllDim). */
      attentionFactor: number | null;
      mscale: number | null;
      mscaleAllDim: number | null;
      /** Round the ramp's ends to whole dimensions (transformers' default, and llama.cpp's). */
      truncate: boolean;
    };

export type RopeType = RopeScaling['type'];
export const ROPE_TYPES: readonly RopeType[] = ['linear', 'dynamic', 'llama3', 'yarn'];

/** What the rotary computation reads from a model configuration. */
export interface RotaryConfig {
  headDim: number;
  ropeTheta: number;
  /** max_position_embeddings: where dynamic NTK starts to scale. */
  maxSeqLen: number;
  ropeScaling: RopeScaling | null;
  /** llama.cpp's rope_freqs.weight: inverse frequency i is divided by factor i. */
  ropeFreqFactors: number[] | null;
}

export interface RotaryTable {
  /** D/2 inverse frequencies. */
  invFreq: Float64Array;
  /** Multiplies cos and sin (YaRN's attention factor; 1 otherwise). */
  scale: number;
}

function defaultInvFreq(base: number, dim: number): Float64Array {
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < out.length; i++) out[i] = 1 / Math.pow(base, (2 * i) / dim);
  return out;
}

function llama3InvFreq(inv: Float64Array, s: Extract<RopeScaling, { type: 'llama3' }>): Float64Array {
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth =
      (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** YaRN's attention factor: given, or 0.1·ln(factor) + 1 (a ratio of two such when mscale and mscale_all_dim are set). */
export function yarnAttentionFactor(s: Extract<RopeScaling, { type: 'yarn' }>): number {
  if (s.attentionFactor !== null) return s.attentionFactor;
  if (s.mscale && s.mscaleAllDim)
    return yarnMscale(s.factor, s.mscale) / yarnMscale(s.factor, s.mscaleAllDim);
  return yarnMscale(s.factor);
}

function yarnInvFreq(base: number, dim: number, s: Extract<RopeScaling, { type: 'yarn' }>): Float64Array {
  const correctionDim = (rotations: number): number =>
    (dim * Math.log(s.originalMaxPositionEmbeddings / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let low = correctionDim(s.betaFast);
  let high = correctionDim(s.betaSlow);
  if (s.truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < out.length; i++) {
    const posFreq = Math.pow(base, (2 * i) / dim);
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const extrapolation = 1 - ramp;
    out[i] = (1 / (s.factor * posFreq)) * (1 - extrapolation) + (1 / posFreq) * extrapolation;
  }
  return out;
}

/**
 * The inverse frequencies and cos/sin scale for a forward whose largest position is `maxPosition`
 * (only dynamic NTK depends on it: transformers recomputes its frequencies from max(position) + 1).
 */
export function rotaryTable(c: RotaryConfig, maxPosition = 0): RotaryTable {
  const dim = c.headDim;
  if (c.ropeFreqFactors) {
    if (c.ropeFreqFactors.length !== dim / 2)
      throw new RangeError(`rope frequency factors: ${c.ropeFreqFactors.length} for head width ${dim}`);
    const inv = defaultInvFreq(c.ropeTheta, dim);
    return { invFreq: inv.map((f, i) => f / c.ropeFreqFactors![i]), scale: 1 };
  }
  const s = c.ropeScaling;
  if (!s) return { invFreq: defaultInvFreq(c.ropeTheta, dim), scale: 1 };
  switch (s.type) {
    case 'linear':
      return { invFreq: defaultInvFreq(c.ropeTheta, dim).map((f) => f / s.factor), scale: 1 };
    case 'dynamic': {
      const seqLen = Math.max(maxPosition + 1, c.maxSeqLen);
      const base =
        c.ropeTheta * Math.pow((s.factor * seqLen) / c.maxSeqLen - (s.factor - 1), dim / (dim - 2));
      return { invFreq: defaultInvFreq(base, dim), scale: 1 };
    }
    case 'llama3':
      return { invFreq: llama3InvFreq(defaultInvFreq(c.ropeTheta, dim), s), scale: 1 };
    case 'yarn':
      return { invFreq: yarnInvFreq(c.ropeTheta, dim, s), scale: yarnAttentionFactor(s) };
  }
}

/** The largest entry of a positions array (0 when empty). */
export function maxPosition(positions: Int32Array): number {
  let m = 0;
  for (let i = 0; i < positions.length; i++) if (positions[i] > m) m = positions[i];
  return m;
}

/**
 * llama.cpp's per-frequency divisors for Llama 3 scaling, as its converter writes `rope_freqs.weight`:
 * 1 for high frequencies, factor for low ones, a smooth blend between.
 */
export function llama3FreqFactors(
  headDim: number,
  theta: number,
  s: Extract<RopeScaling, { type: 'llama3' }>,
): number[] {
  const inv = defaultInvFreq(theta, headDim);
  const scaled = llama3InvFreq(inv, s);
  return Array.from(inv, (f, i) => f / scaled[i]);
}

/**
 * The Llama 3 scaling behind llama.cpp's rope_freqs factors, when they are those of a released
 * Llama 3.x configuration (factor 8, 16 or 32; low 1, high 4; original context 8192): GGUF keeps
 * only the factors, and transformers needs the parameters. Null when none reproduces them.
 */
export function identifyLlama3Scaling(
  factors: readonly number[],
  headDim: number,
  theta: number,
): Extract<RopeScaling, { type: 'llama3' }> | null {
  for (const factor of [8, 16, 32, 4, 2]) {
    const s = {
      type: 'llama3',
      factor,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    } as const;
    const expected = llama3FreqFactors(headDim, theta, s);
    // The file stores f32 factors.
    if (expected.every((e, i) => Math.abs(e - factors[i]) <= 1e-6 * e)) return { ...s };
  }
  return null;
}
