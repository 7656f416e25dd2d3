// The LM head and its cross-entropy as one op, so the [tokens, vocabulary] logits never exist whole
// (1024 tokens × a 128256-word vocabulary are 525 MB of logits and as much again of their gradient).
// A frozen head goes over chunks of rows, each chunk's logits in a scratch block: its losses are
// taken, and when a backward will follow, its part of ∂loss/∂x at once from the same block (softmax
// minus the one-hot target, times the weight), so nothing is recomputed; the backward only scales that
// saved gradient by the loss's own. A trainable head also needs ∂loss/∂W, as large as the weight, which
// row chunks would add into whole once per chunk: it goes over tiles of the vocabulary instead (the
// logsumexp merged tile by tile in the forward; each tile's logits recomputed in the backward, which
// writes that tile's rows of ∂loss/∂W once), unless the whole logits and their gradient are small
// enough to keep (then the unfused pair, nothing recomputed).
import { recordingTape } from '../tape.js';
import type { Tape } from '../tape.js';
import type { FloatArray, FloatKind, Weight } from '../tensor.js';
import { Tensor, allocFloat, isTensor } from '../tensor.js';
import type { CrossEntropyResult } from './cross-entropy.js';
import { crossEntropy, crossEntropyBackward, crossEntropyForward, scoredTargets } from './cross-entropy.js';
import { linear, linearBackward, linearForward } from './linear.js';

/** The bytes one chunk's logits may take (its gradient block takes as much again). */
export const HEAD_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Logits up to this many bytes (with their gradient, when one is taken) are kept in one piece: a
 * frozen head then runs one product, and a trainable one the unfused pair (nothing recomputed).
 */
export const HEAD_MATERIALIZE_BYTES = 256 * 1024 * 1024;

/** Rows per chunk: as many as fit HEAD_CHUNK_BYTES of logits, a multiple of 16, at least 16. */
export function headChunkRows(vocab: number, bytesPerValue: number): number {
  const rows = Math.floor(HEAD_CHUNK_BYTES / (vocab * bytesPerValue) / 16) * 16;
  return Math.max(16, rows);
}

/** Vocabulary columns per tile for `rows` rows: the same HEAD_CHUNK_BYTES, a multiple of 16, at least 16. */
export function headTileColumns(rows: number, bytesPerValue: number): number {
  return headChunkRows(rows, bytesPerValue);
}

export interface LinearCrossEntropyOptions {
  /** Rows per chunk (tests use small ones); default headChunkRows. */
  chunkRows?: number;
  /** Vocabulary columns per tile, for a trainable head (tests use small ones); default headTileColumns. */
  tileColumns?: number;
  /** Keep the whole logits up to this many bytes with their gradient; default HEAD_MATERIALIZE_BYTES. */
  materializeBytes?: number;
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
  const kind = x.kind;
  const bytes = kind === 'f32' ? 4 : 8;
  const trainableHead = tape !== null && isTensor(weight) && weight.requiresGrad;
  if (trainableHead && 2 * N * V * bytes <= (o.materializeBytes ?? HEAD_MATERIALIZE_BYTES))
    return crossEntropy(linear(x, weight), targets);
  const count = scoredTargets('linearCrossEntropy', targets, N, V);
  if (trainableHead) {
    const C = Math.max(1, Math.min(V, o.tileColumns ?? headTileColumns(N, bytes)));
    return trainableHeadLoss(x, weight, targets, count, C, tape);
  }
  // ∂(mean loss)/∂x for a loss gradient of 1, filled chunk by chunk.
  const dx = tape !== null && x.requiresGrad && count > 0 ? allocFloat(kind, N * In, false) : null;
  // Logits (and their gradient) small enough to keep go in one piece: each chunk packs the head again.
  const whole = (dx ? 2 : 1) * N * V * bytes <= (o.materializeBytes ?? HEAD_MATERIALIZE_BYTES);
  const R = Math.max(1, Math.min(N, o.chunkRows ?? (whole ? N : headChunkRows(V, bytes))));
  const tokenNll = allocFloat(kind, N);
  const lse = allocFloat(kind, N);
  forChunks(x, weight, targets, R, (r0, rows, z, xs, ts) => {
    crossEntropyForward(tokenNll.subarray(r0, r0 + rows), lse.subarray(r0, r0 + rows), z, ts, rows, V);
    if (dx) {
      const dlogits = Tensor.zeros([rows * V], kind);
      const dlosses = allocFloat(kind, rows);
      for (let i = 0; i < rows; i++) dlosses[i] = ts[i] >= 0 ? 1 / count : 0;
      crossEntropyBackward(dlogits.data, dlosses, z, lse.subarray(r0, r0 + rows), ts, rows, V);
      linearBackward(
        dx.subarray(r0 * In, (r0 + rows) * In),
        null,
        null,
        dlogits.data,
        xs,
        weight,
        rows,
        In,
        V,
        true,
      );
      dlogits.release();
    }
  });
  const loss = meanLoss(tokenNll, count, kind);
  if (tape && dx) {
    loss.requiresGrad = true;
    tape.record(() => {
      if (loss.grad) addScaled(x, dx, loss.grad[0]);
    }, loss);
  }
  return { loss, tokenNll, nllSum: nllSumOf(tokenNll), count };
}

/**
 * A trainable head over tiles of C vocabulary columns. Forward: each tile's logits give its rows'
 * logsumexp, merged into the running one, and the target logits that fall in it. Backward: each
 * tile's logits again, its dlogits = g·(softmax - onehot) from the final logsumexp, then dx += dlogits
 * · W_tile and the tile's rows of dW += dlogitsᵀ · x.
 */
function trainableHeadLoss(
  x: Tensor,
  weight: Tensor,
  targets: Int32Array,
  count: number,
  C: number,
  tape: Tape,
): CrossEntropyResult {
  const [, In] = weight.shape;
  const N = x.size / In;
  const kind = x.kind;
  const running = new Float64Array(N).fill(-Infinity);
  const picked = new Float64Array(N);
  const ignored = new Int32Array(N).fill(-1);
  const tileLse = allocFloat(kind, N);
  const unused = allocFloat(kind, N);
  forTiles(x, weight, C, (v0, cols, z) => {
    crossEntropyForward(unused, tileLse, z, ignored, N, cols);
    for (let n = 0; n < N; n++) {
      const a = running[n],
        b = tileLse[n];
      const m = Math.max(a, b);
      running[n] = m === -Infinity ? m : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      const t = targets[n] - v0;
      if (t >= 0 && t < cols) picked[n] = z[n * cols + t];
    }
  });
  const lse = allocFloat(kind, N);
  const tokenNll = allocFloat(kind, N);
  for (let n = 0; n < N; n++) {
    lse[n] = running[n];
    tokenNll[n] = targets[n] >= 0 ? running[n] - picked[n] : 0;
  }
  const loss = meanLoss(tokenNll, count, kind);
  if (count > 0) {
    loss.requiresGrad = true;
    tape.record(() => {
      if (!loss.grad) return;
      const g = loss.grad[0] / count;
      const dweight = weight.ensureGrad();
      const dx = x.requiresGrad ? x.takeGrad() : null;
      const dlosses = allocFloat(kind, N);
      const inTile = new Int32Array(N);
      forTiles(x, weight, C, (v0, cols, z, tile) => {
        // Rows whose target lies outside the tile still take the softmax part: the kernel is given
        // column 0 as their target and the one-hot it subtracts there is added back.
        for (let n = 0; n < N; n++) {
          const t = targets[n];
          dlosses[n] = t >= 0 ? g : 0;
          inTile[n] = t < 0 ? -1 : t >= v0 && t < v0 + cols ? t - v0 : 0;
        }
        const dlogits = Tensor.zeros([N * cols], kind);
        const dz = dlogits.data;
        crossEntropyBackward(dz, dlosses, z, lse, inTile, N, cols);
        for (let n = 0; n < N; n++) {
          const t = targets[n];
          if (t >= 0 && !(t >= v0 && t < v0 + cols)) dz[n * cols] += g;
        }
        const dw = dweight.subarray(v0 * In, (v0 + cols) * In);
        linearBackward(
          dx?.grad ?? null,
          dw,
          null,
          dz,
          x.data,
          tile,
          N,
          In,
          cols,
          (dx?.fresh ?? false) && v0 === 0,
        );
        dlogits.release();
      });
    }, loss);
  }
  return { loss, tokenNll, nllSum: nllSumOf(tokenNll), count };
}

/** Runs `use` on each tile of C vocabulary rows of the weight (a view, bf16 compute copy included) with its logits. */
function forTiles(
  x: Tensor,
  weight: Tensor,
  C: number,
  use: (v0: number, cols: number, logits: FloatArray, tile: Tensor) => void,
): void {
  const [V, In] = weight.shape;
  const N = x.size / In;
  const logits = Tensor.empty([N * C], x.kind);
  try {
    for (let v0 = 0; v0 < V; v0 += C) {
      const cols = Math.min(C, V - v0);
      const tile = new Tensor([cols, In], weight.data.subarray(v0 * In, (v0 + cols) * In));
      tile.bf16 = weight.bf16 ? weight.bf16.subarray(v0 * In, (v0 + cols) * In) : null;
      const z = logits.data.subarray(0, N * cols);
      linearForward(z, x.data, tile, null, N, In, cols);
      use(v0, cols, z, tile);
    }
  } finally {
    logits.release();
  }
}

function meanLoss(tokenNll: FloatArray, count: number, kind: FloatKind): Tensor {
  const loss = new Tensor([1], allocFloat(kind, 1));
  loss.data[0] = count > 0 ? nllSumOf(tokenNll) / count : 0;
  return loss;
}

function nllSumOf(tokenNll: FloatArray): number {
  let s = 0;
  for (let n = 0; n < tokenNll.length; n++) s += tokenNll[n];
  return s;
}

/** Runs `use` on each chunk of R rows with that chunk's logits in a scratch block (handed back after). */
function forChunks(
  x: Tensor,
  weight: Weight,
  targets: Int32Array,
  R: number,
  use: (r0: number, rows: number, logits: FloatArray, xs: FloatArray, targets: Int32Array) => void,
): void {
  const [V, In] = weight.shape;
  const N = x.size / In;
  const logits = Tensor.empty([R * V], x.kind);
  try {
    for (let r0 = 0; r0 < N; r0 += R) {
      const rows = Math.min(R, N - r0);
      const z = logits.data.subarray(0, rows * V);
      const xs = x.data.subarray(r0 * In, (r0 + rows) * In);
      linearForward(z, xs, weight, null, rows, In, V);
      use(r0, rows, z, xs, targets.subarray(r0, r0 + rows));
    }
  } finally {
    logits.release();
  }
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
