// Log-softmax cross-entropy of next-token logits, ignoring positions whose target is -1; the loss
// is the mean over the rest. The per-token sum and count are returned too, so perplexity can be
// aggregated exactly across batches.
import { crossEntropyBackwardF32, crossEntropyForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor, allocFloat } from '../tensor.js';

/** losses (N) = lse - logits[target] (0 for ignored rows), lse (N) saved; logits (N,V). */
export function crossEntropyForward(
  losses: FloatArray,
  lse: FloatArray,
  logits: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
): void {
  if (losses instanceof Float32Array && lse instanceof Float32Array && logits instanceof Float32Array)
    return crossEntropyForwardF32(losses, lse, logits, targets, N, V);
  for (let n = 0; n < N; n++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[n * V + v] > max) max = logits[n * V + v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[n * V + v] - max);
    lse[n] = max + Math.log(sum);
    losses[n] = targets[n] >= 0 ? lse[n] - logits[n * V + targets[n]] : 0;
  }
}

/** Accumulates dlogits (N,V) += dlosses[n]·(softmax - onehot(target)) over non-ignored rows. */
export function crossEntropyBackward(
  dlogits: FloatArray,
  dlosses: FloatArray,
  logits: FloatArray,
  lse: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
): void {
  if (
    dlogits instanceof Float32Array &&
    dlosses instanceof Float32Array &&
    logits instanceof Float32Array &&
    lse instanceof Float32Array
  )
    return crossEntropyBackwardF32(dlogits, dlosses, logits, lse, targets, N, V);
  for (let n = 0; n < N; n++) {
    if (targets[n] < 0 || dlosses[n] === 0) continue;
    for (let v = 0; v < V; v++) dlogits[n * V + v] += dlosses[n] * Math.exp(logits[n * V + v] - lse[n]);
    dlogits[n * V + targets[n]] -= dlosses[n];
  }
}

export interface CrossEntropyResult {
  /** Scalar mean NLL over non-ignored positions (0 when all are ignored); differentiable. */
  loss: Tensor;
  /** Per-position NLL (0 at ignored positions). */
  tokenNll: FloatArray;
  /** Σ NLL over non-ignored positions, accumulated in float64. */
  nllSum: number;
  /** Number of non-ignored positions. */
  count: number;
}

/**
 * Checks one target per row, each -1 (ignored) or a word of the vocabulary, and returns how many are
 * scored; `op` names the caller in the error.
 */
export function scoredTargets(op: string, targets: Int32Array, N: number, V: number): number {
  if (targets.length !== N) throw new RangeError(`${op}: ${targets.length} targets for ${N} rows`);
  let count = 0;
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    if (!(t === -1 || (t >= 0 && t < V)))
      throw new RangeError(`${op}: target ${t} at ${n} is neither -1 nor in [0, ${V})`);
    if (t >= 0) count++;
  }
  return count;
}

/** Cross-entropy of logits [N, V] against targets (N), -1 = ignore. */
export function crossEntropy(logits: Tensor, targets: Int32Array): CrossEntropyResult {
  const V = logits.shape[logits.shape.length - 1];
  const N = logits.size / V;
  const count = scoredTargets('crossEntropy', targets, N, V);
  const tokenNll = allocFloat(logits.kind, N);
  const lse = allocFloat(logits.kind, N);
  crossEntropyForward(tokenNll, lse, logits.data, targets, N, V);
  let nllSum = 0;
  for (let n = 0; n < N; n++) nllSum += tokenNll[n];
  const loss = new Tensor([1], allocFloat(logits.kind, 1));
  loss.data[0] = count > 0 ? nllSum / count : 0;
  const tape = recordingTape(logits);
  if (tape && count > 0) {
    loss.requiresGrad = true;
    tape.record(() => {
      if (!loss.grad) return;
      const dlosses = allocFloat(logits.kind, N);
      for (let n = 0; n < N; n++) dlosses[n] = targets[n] >= 0 ? loss.grad[0] / count : 0;
      crossEntropyBackward(logits.ensureGrad(), dlosses, logits.data, lse, targets, N, V);
    }, loss);
  }
  return { loss, tokenNll, nllSum, count };
}
