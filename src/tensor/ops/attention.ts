// Causal self-attention with grouped-query heads (each kv head serves numHeads/numKvHeads query
// heads) and an optional key padding mask. Forward saves only the per-query logsumexp; backward
// recomputes the probabilities (the flash-attention trade: T² memory never held).
import { attentionBackwardF32, attentionForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor, allocFloat } from '../tensor.js';

export interface AttentionShape {
  batch: number;
  seqLen: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

/**
 * out (B,T,Hq,D), lse (B,Hq,T) from q (B,T,Hq,D), k and v (B,T,Hkv,D); keyPadding (B,T), nonzero
 * marks a padding key. A query that sees no key gets a zero output and lse = -Infinity.
 */
export function attentionForward(
  out: FloatArray,
  lse: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  keyPadding: Uint8Array | null,
  B: number,
  T: number,
  Hq: number,
  Hkv: number,
  D: number,
): void {
  if (
    out instanceof Float32Array &&
    lse instanceof Float32Array &&
    q instanceof Float32Array &&
    k instanceof Float32Array &&
    v instanceof Float32Array
  )
    return attentionForwardF32(out, lse, q, k, v, keyPadding, B, T, Hq, Hkv, D);
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  const p = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qAt = ((b * T + t) * Hq + h) * D;
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          if (keyPadding && keyPadding[b * T + j]) continue;
          const kAt = ((b * T + j) * Hkv + kh) * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qAt + d] * k[kAt + d];
          p[j] = s * scale;
          if (p[j] > max) max = p[j];
        }
        for (let d = 0; d < D; d++) out[qAt + d] = 0;
        if (max === -Infinity) {
          lse[(b * Hq + h) * T + t] = -Infinity;
          continue;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) {
          if (keyPadding && keyPadding[b * T + j]) continue;
          p[j] = Math.exp(p[j] - max);
          sum += p[j];
        }
        for (let j = 0; j <= t; j++) {
          if (keyPadding && keyPadding[b * T + j]) continue;
          const vAt = ((b * T + j) * Hkv + kh) * D;
          const w = p[j] / sum;
          for (let d = 0; d < D; d++) out[qAt + d] += w * v[vAt + d];
        }
        lse[(b * Hq + h) * T + t] = max + Math.log(sum);
      }
    }
  }
}

/** Accumulates dq, dk, dv (any may be null) from dout and the forward's out and lse. */
export function attentionBackward(
  dq: FloatArray | null,
  dk: FloatArray | null,
  dv: FloatArray | null,
  dout: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  out: FloatArray,
  lse: FloatArray,
  keyPadding: Uint8Array | null,
  B: number,
  T: number,
  Hq: number,
  Hkv: number,
  D: number,
): void {
  if (
    (dq === null || dq instanceof Float32Array) &&
    (dk === null || dk instanceof Float32Array) &&
    (dv === null || dv instanceof Float32Array) &&
    dout instanceof Float32Array &&
    q instanceof Float32Array &&
    k instanceof Float32Array &&
    v instanceof Float32Array &&
    out instanceof Float32Array &&
    lse instanceof Float32Array
  )
    return attentionBackwardF32(dq, dk, dv, dout, q, k, v, out, lse, keyPadding, B, T, Hq, Hkv, D);
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const l = lse[(b * Hq + h) * T + t];
        if (l === -Infinity) continue;
        const qAt = ((b * T + t) * Hq + h) * D;
        // delta = Σ_j p_j dP_j = dout·out: the softmax backward's row term.
        let delta = 0;
        for (let d = 0; d < D; d++) delta += dout[qAt + d] * out[qAt + d];
        for (let j = 0; j <= t; j++) {
          if (keyPadding && keyPadding[b * T + j]) continue;
          const kAt = ((b * T + j) * Hkv + kh) * D;
          let s = 0;
          let dp = 0;
          for (let d = 0; d < D; d++) {
            s += q[qAt + d] * k[kAt + d];
            dp += dout[qAt + d] * v[kAt + d];
          }
          const p = Math.exp(s * scale - l);
          const ds = p * (dp - delta) * scale;
          for (let d = 0; d < D; d++) {
            if (dq) dq[qAt + d] += ds * k[kAt + d];
            if (dk) dk[kAt + d] += ds * q[qAt + d];
            if (dv) dv[kAt + d] += p * dout[qAt + d];
          }
        }
      }
    }
  }
}

/**
 * Attention over q [B·T, Hq·D], k and v [B·T, Hkv·D] (rows ordered batch-major); returns
 * [B·T, Hq·D]. keyPadding (B·T), nonzero = padding, is optional.
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  shape: AttentionShape,
  keyPadding: Uint8Array | null = null,
): Tensor {
  const { batch: B, seqLen: T, numHeads: Hq, numKvHeads: Hkv, headDim: D } = shape;
  if (Hkv < 1 || Hq % Hkv !== 0) throw new RangeError(`attention: ${Hkv} kv heads do not divide ${Hq} heads`);
  if (q.size !== B * T * Hq * D)
    throw new RangeError(`attention: q has ${q.size} elements, expected ${B}·${T}·${Hq}·${D}`);
  if (k.size !== B * T * Hkv * D || v.size !== k.size)
    throw new RangeError(`attention: k/v must have ${B}·${T}·${Hkv}·${D} elements`);
  if (keyPadding && keyPadding.length !== B * T)
    throw new RangeError(`attention: keyPadding has ${keyPadding.length} entries, expected ${B * T}`);
  if (k.kind !== q.kind || v.kind !== q.kind) throw new RangeError('attention: q, k, v differ in float type');
  const out = Tensor.zeros([B * T, Hq * D], q.kind);
  const lse = allocFloat(q.kind, B * Hq * T);
  attentionForward(out.data, lse, q.data, k.data, v.data, keyPadding, B, T, Hq, Hkv, D);
  const tape = recordingTape(q, k, v);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (!out.grad) return;
      attentionBackward(
        q.requiresGrad ? q.ensureGrad() : null,
        k.requiresGrad ? k.ensureGrad() : null,
        v.requiresGrad ? v.ensureGrad() : null,
        out.grad,
        q.data,
        k.data,
        v.data,
        out.data,
        lse,
        keyPadding,
        B,
        T,
        Hq,
        Hkv,
        D,
      );
    }, out);
  }
  return out;
}
