// The float64 reference for perplexity: the same segments scored by the tape forward in float64
// (plain TypeScript, independent of the native f32 kernels and the KV-cache path).
import { buildModel, llamaForward, nextTokenTargets } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';

export function perplexityFloat64(
  weights: ModelWeights,
  segments: number[][],
): { ppl: number; tokens: number } {
  const model64 = buildModel(weights, { kind: 'f64' });
  let nll = 0;
  let count = 0;
  for (const seg of segments) {
    const ids = Int32Array.from(seg);
    const r = llamaForward(model64, ids, {
      batch: 1,
      seqLen: ids.length,
      targets: nextTokenTargets(ids, 1, ids.length),
    });
    nll += r.nllSum ?? NaN;
    count += r.tokenCount ?? 0;
  }
  return { ppl: Math.exp(nll / count), tokens: count };
}
