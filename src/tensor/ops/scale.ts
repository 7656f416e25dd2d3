// Multiplication by a constant, e.g. LoRA's alpha/r on its low-rank branch.
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor } from '../tensor.js';

export function scaleForward(out: FloatArray, inp: FloatArray, factor: number, N: number): void {
  for (let i = 0; i < N; i++) out[i] = inp[i] * factor;
}

/** Accumulates factor·dout into dinp. */
export function scaleBackward(dinp: FloatArray, dout: FloatArray, factor: number, N: number): void {
  for (let i = 0; i < N; i++) dinp[i] += dout[i] * factor;
}

export function scale(x: Tensor, factor: number): Tensor {
  const out = Tensor.zeros(x.shape, x.kind);
  scaleForward(out.data, x.data, factor, x.size);
  const tape = recordingTape(x);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (out.grad) scaleBackward(x.ensureGrad(), out.grad, factor, x.size);
    }, out);
  }
  return out;
}
