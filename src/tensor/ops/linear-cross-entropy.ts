// The LM head and its cross-entropy as one op over chunks of rows, so the [tokens, vocabulary] logits
// never exist whole (1024 tokens × a 128256-word vocabulary are 525 MB of logits and as much again of
// their gradient). Each chunk's logits live only in a scratch block: its losses are taken, and when a
// backward will follow, its part of ∂loss/∂x is computed at once from the same block (the chunk's
// softmax minus the one-hot target, times the weight), so nothing is recomputed later. The backward
// then scales that saved gradient by the loss's own. A trainable head weight takes the unfused path
// (its gradient is as large as the logits anyway).
import { recordingTape } from '../tape.js';
import type { FloatArray, Weight } from '../tensor.js';
import { Tensor, allocFloat, isTensor } from '../tensor.js';
import type { CrossEntropyResult } from './cross-entropy.js';
import { crossEntropy, crossEntropyBackward, crossEntropyForward } from './cross-entropy.js';
import { linear, linearBackward, linearForward } from './linear.js';

/** The bytes one chunk's logits may take (its gradient block takes as much again). */
export const HEAD_CHUNK_BYTES = 64 * 1024 * 1024;

/** Rows per chunk: as many as fit HEAD_CHUNK_BYTES of logits, a multiple of 16, at least 16. */
export function headChunkRows(vocab: number, bytesPerValue: number): number {
  const rows = Math.floor(HEAD_CHUNK_BYTES / (vocab * bytesPerValue) / 16) * 16;
  return Math.max(16, rows);
}

export interface LinearCrossEntropyOptions {
  /** Rows per chunk (tests use small ones); default headChunkRows. */
  chunkRows?: number;
}

/** crossEntropy(linear(x, weight), targets), chunk by chunk: x [N, In], weight [V, In], targets (N). */
export function linearCrossEntropy(
  x: Tensor,
  weight: Weight,
  targets: Int32Array,
  o: LinearCrossEntropyOptions = {},
): CrossEntropyResult {
  if (weight.shape.length !== 2)
    throw new RangeError(`linearCrossEntropy: weight must be 2-D (got [${weight.shape.join(', ')}])`);
  const [V, In] = weight.shape;
  if (x.shape[x.shape.length - 1] !== In)
    throw new RangeError(
      `linearCrossEntropy: input width ${x.shape[x.shape.length - 1]} does not match weight [${V}, ${In}]`,
    );
  const N = x.size / In;
  if (targets.length !== N)
    throw new RangeError(`linearCrossEntropy: ${targets.length} targets for ${N} rows`);
  const tape = recordingTape(x, weight);
  if (isTensor(weight) && weight.requiresGrad && tape) return crossEntropy(linear(x, weight), targets);
  let count = 0;
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    if (!(t === -1 || (t >= 0 && t < V)))
      throw new RangeError(`linearCrossEntropy: target ${t} at ${n} is neither -1 nor in [0, ${V})`);
    if (t >= 0) count++;
  }
  const kind = x.kind;
  const bytes = kind === 'f32' ? 4 : 8;
  const R = Math.max(1, Math.min(N, o.chunkRows ?? headChunkRows(V, bytes)));
  const wantGrad = tape !== null && x.requiresGrad && count > 0;
  const tokenNll = allocFloat(kind, N);
  const lse = allocFloat(kind, N);
  // ∂(mean loss)/∂x for a loss gradient of 1, filled chunk by chunk.
  const dx = wantGrad ? allocFloat(kind, N * In, false) : null;
  const logits = Tensor.empty([R * V], kind);
  const dlogits = wantGrad ? Tensor.empty([R * V], kind) : null;
  const dlosses = wantGrad ? allocFloat(kind, R) : null;
  try {
    for (let r0 = 0; r0 < N; r0 += R) {
      const rows = Math.min(R, N - r0);
      const z = logits.data.subarray(0, rows * V);
      const xs = x.data.subarray(r0 * In, (r0 + rows) * In);
      const ts = targets.subarray(r0, r0 + rows);
      linearForward(z, xs, weight, null, rows, In, V);
      crossEntropyForward(tokenNll.subarray(r0, r0 + rows), lse.subarray(r0, r0 + rows), z, ts, rows, V);
      if (!dx || !dlogits || !dlosses) continue;
      const dz = dlogits.data.subarray(0, rows * V);
      dz.fill(0);
      for (let i = 0; i < rows; i++) dlosses[i] = ts[i] >= 0 ? 1 / count : 0;
      crossEntropyBackward(dz, dlosses.subarray(0, rows), z, lse.subarray(r0, r0 + rows), ts, rows, V);
      const dxs = dx.subarray(r0 * In, (r0 + rows) * In);
      linearBackward(dxs, null, null, dz, xs, weight, rows, In, V, true);
    }
  } finally {
    logits.release();
    dlogits?.release();
  }
  let nllSum = 0;
  for (let n = 0; n < N; n++) nllSum += tokenNll[n];
  const loss = new Tensor([1], allocFloat(kind, 1));
  loss.data[0] = count > 0 ? nllSum / count : 0;
  if (tape && dx) {
    loss.requiresGrad = true;
    tape.record(() => {
      if (!loss.grad) return;
      addScaled(x, dx, loss.grad[0]);
    }, loss);
  }
  return { loss, tokenNll, nllSum, count };
}

/** x.grad += g·d (the saved gradient handed over whole when there is none yet and g is 1). */
function addScaled(x: Tensor, d: FloatArray, g: number): void {
  if (x.grad === null && g === 1) {
    x.grad = d;
    return;
  }
  const { grad, fresh } = x.takeGrad();
  if (fresh) for (let i = 0; i < d.length; i++) grad[i] = g * d[i];
  else for (let i = 0; i < d.length; i++) grad[i] += g * d[i];
}
