// RMSNorm, LLaMA's only normalization: y = x / sqrt(mean(x²) + eps) · weight, per row.
import { rmsnormBackwardF32, rmsnormForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray, Weight } from '../tensor.js';
import { Tensor, allocFloat, isTensor } from '../tensor.js';
import { weightValues } from '../weight-values.js';

/** out (N,C), rstd (N) saved for backward; inp (N,C), weight (C). */
export function rmsnormForward(
  out: FloatArray,
  rstd: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  N: number,
  C: number,
  eps: number,
): void {
  if (
    out instanceof Float32Array &&
    rstd instanceof Float32Array &&
    inp instanceof Float32Array &&
    weight instanceof Float32Array
  )
    return rmsnormForwardF32(out, rstd, inp, weight, N, C, eps);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[n * C + c] * inp[n * C + c];
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[n * C + c] = inp[n * C + c] * r * weight[c];
  }
}

/** Accumulates into dinp (N,C) and dweight (C); either may be null. */
export function rmsnormBackward(
  dinp: FloatArray | null,
  dweight: FloatArray | null,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  rstd: FloatArray,
  N: number,
  C: number,
): void {
  if (
    (dinp === null || dinp instanceof Float32Array) &&
    (dweight === null || dweight instanceof Float32Array) &&
    dout instanceof Float32Array &&
    inp instanceof Float32Array &&
    weight instanceof Float32Array &&
    rstd instanceof Float32Array
  )
    return rmsnormBackwardF32(dinp, dweight, dout, inp, weight, rstd, N, C);
  for (let n = 0; n < N; n++) {
    const r = rstd[n];
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dout[n * C + c] * weight[c] * inp[n * C + c];
    const k = (dot * r * r * r) / C;
    for (let c = 0; c < C; c++) {
      const i = n * C + c;
      if (dinp) dinp[i] += r * dout[i] * weight[c] - k * inp[i];
      if (dweight) dweight[c] += dout[i] * inp[i] * r;
    }
  }
}

/**
 * RMSNorm over the last dimension of x (any leading shape), or over each weight-wide group of it when
 * the weight is narrower (per-head q/k norms: a D-wide weight on rows of H·D).
 */
export function rmsnorm(x: Tensor, weight: Weight, eps: number): Tensor {
  const width = x.shape[x.shape.length - 1];
  const C = weight.shape[0];
  if (weight.shape.length !== 1 || !(C > 0) || width % C !== 0)
    throw new RangeError(
      `rmsnorm: weight shape [${weight.shape.join(', ')}] does not divide the row width ${width}`,
    );
  const N = x.size / C;
  const w = weightValues(weight, x.kind);
  const out = Tensor.empty(x.shape, x.kind); // written whole by the forward
  const rstd = allocFloat(x.kind, N);
  rmsnormForward(out.data, rstd, x.data, w, N, C, eps);
  const tape = recordingTape(x, weight);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (!out.grad) return;
      const dweight = isTensor(weight) && weight.requiresGrad ? weight.ensureGrad() : null;
      rmsnormBackward(x.requiresGrad ? x.ensureGrad() : null, dweight, out.grad, x.data, w, rstd, N, C);
    }, out);
  }
  return out;
}
