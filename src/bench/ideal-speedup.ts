// The speed-up a pruned model could reach at most, from the work each model does per generated
// token: at batch 1 decoding streams every weight once per token, so the ideal is the ratio of weight
// bytes read; at larger batches the matrix products dominate, so it is the ratio of FLOPs. A
// measured speed-up whose whole interval lies above the ideal is not a result but noise (or a cache
// effect the model cannot promise), and is flagged.
import type { ModelWeights } from '../model/weights.js';
import { elementCount } from '../model/weights.js';
import type { RatioEstimate } from './paired-ratio.js';

export interface WorkPerToken {
  /** Bytes of weights read per decode step: every block, the final norm and the classifier. */
  weight_bytes: number;
  /** Multiply-adds × 2 per token: every matrix read, plus attention over `context` positions. */
  flops: number;
}

/** `context` is the mean number of cached positions a new token attends to. */
export function workPerToken(w: ModelWeights, context: number): WorkPerToken {
  const c = w.config;
  let bytes = 0;
  let matrixElements = 0;
  for (const [name, t] of w.tensors) {
    // The embedding is one row per token unless it doubles as the classifier.
    if (name === 'model.embed_tokens.weight' && !c.tieWordEmbeddings) continue;
    bytes += t.data.byteLength;
    if (t.shape.length === 2) matrixElements += elementCount(t.shape);
  }
  let attentionBlocks = 0;
  for (let l = 0; l < c.numLayers; l++) if (!c.prunedAttention.includes(l)) attentionBlocks++;
  const attentionFlops = attentionBlocks * 4 * c.numHeads * c.headDim * context;
  return { weight_bytes: bytes, flops: 2 * matrixElements + attentionFlops };
}

export type IdealBasis = 'weight bytes' | 'FLOPs';

export interface IdealSpeedup {
  ideal: number;
  basis: IdealBasis;
}

/** The ideal speed-up of `model` over `reference` at a batch size. */
export function idealSpeedup(reference: WorkPerToken, model: WorkPerToken, batch: number): IdealSpeedup {
  return batch === 1
    ? { ideal: reference.weight_bytes / model.weight_bytes, basis: 'weight bytes' }
    : { ideal: reference.flops / model.flops, basis: 'FLOPs' };
}

/** True when the measured ratio exceeds the ideal by more than its interval: its low end is above it. */
export function beyondIdeal(e: RatioEstimate, ideal: number): boolean {
  return (e.low ?? e.median) > ideal;
}
