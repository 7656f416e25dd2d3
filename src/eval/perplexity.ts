// Perplexity as the paper measures it: the text tokenized without special tokens, cut into
// non-overlapping segments of seqLen tokens (the last partial one dropped), with one start token
// at the very start of the stream ('first') or one before every segment ('every'). The start token
// is BOS, or EOS for a vocabulary without BOS (sequenceStartToken, lm-evaluation-harness's
// prefix_token_id, which its rolling loglikelihood puts before the first window).
import type { LlamaInference } from '../model/inference.js';

export type BosMode = 'first' | 'every';

export interface PerplexityResult {
  ppl: number;
  nll: number;
  tokens: number;
  segments: number;
}

/** Splits a token stream into the segments that are scored; `startId` is the token put first. */
export function perplexitySegments(
  stream: number[],
  seqLen: number,
  bos: BosMode,
  startId: number,
): number[][] {
  if (!(Number.isInteger(seqLen) && seqLen >= 2))
    throw new RangeError(`seq-len must be an integer ≥ 2 (got ${seqLen})`);
  const segments: number[][] = [];
  if (bos === 'first') {
    const all = [startId, ...stream];
    for (let s = 0; s + seqLen <= all.length; s += seqLen) segments.push(all.slice(s, s + seqLen));
  } else {
    const body = seqLen - 1;
    for (let s = 0; s + body <= stream.length; s += body)
      segments.push([startId, ...stream.slice(s, s + body)]);
  }
  return segments;
}

/** Mean next-token NLL over every predicted position of every segment (the first token of a segment is context only). */
export function perplexity(
  model: LlamaInference,
  segments: number[][],
  opts: { batch?: number; onProgress?: (done: number, total: number) => void } = {},
): PerplexityResult {
  const batchSize = Math.max(1, opts.batch ?? 8);
  let nllSum = 0;
  let count = 0;
  for (let s = 0; s < segments.length; s += batchSize) {
    const group = segments.slice(s, s + batchSize);
    const len = group[0].length;
    const ids = new Int32Array(group.length * len);
    group.forEach((seg, b) => ids.set(seg, b * len));
    const cache = model.newCache(group.length, len);
    // Each position's next token; a segment's last position predicts nothing.
    const targets = new Int32Array(group.length * len).fill(-1);
    group.forEach((seg, b) => {
      for (let t = 0; t < len - 1; t++) targets[b * len + t] = seg[t + 1];
    });
    const nll = model.tokenNll(ids, group.length, cache, targets);
    for (let i = 0; i < nll.length; i++) {
      if (targets[i] < 0) continue;
      nllSum += nll[i];
      count++;
    }
    opts.onProgress?.(Math.min(s + batchSize, segments.length), segments.length);
  }
  model.releaseWork();
  const nll = count > 0 ? nllSum / count : NaN;
  return { ppl: Math.exp(nll), nll, tokens: count, segments: segments.length };
}
