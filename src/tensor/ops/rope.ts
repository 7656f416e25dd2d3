// Rotary position embedding in Hugging Face's half-split layout (rotate_half): within each head,
// element i pairs with i + D/2, rotated by position · theta^(-2i/D). Backward is the inverse rotation.
import { ropeBackwardF32, ropeForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor } from '../tensor.js';

function rotate(
  out: FloatArray,
  inp: FloatArray,
  positions: Int32Array,
  N: number,
  H: number,
  D: number,
  theta: number,
  sign: number,
  accumulate: boolean,
): void {
  const half = D / 2;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < half; i++) {
      const angle = positions[n] * Math.pow(theta, (-2 * i) / D);
      const cos = Math.cos(angle);
      const sin = sign * Math.sin(angle);
      for (let h = 0; h < H; h++) {
        const at = (n * H + h) * D + i;
        const a = inp[at];
        const b = inp[at + half];
        const ya = a * cos - b * sin;
        const yb = b * cos + a * sin;
        if (accumulate) {
          out[at] += ya;
          out[at + half] += yb;
        } else {
          out[at] = ya;
          out[at + half] = yb;
        }
      }
    }
  }
}

/** out (N,H,D) = rotation of inp (N,H,D) by positions (N). */
export function ropeForward(
  out: FloatArray,
  inp: FloatArray,
  positions: Int32Array,
  N: number,
  H: number,
  D: number,
  theta: number,
): void {
  if (out instanceof Float32Array && inp instanceof Float32Array)
    return ropeForwardF32(out, inp, positions, N, H, D, theta);
  rotate(out, inp, positions, N, H, D, theta, 1, false);
}

/** Accumulates the inverse rotation of dout into dinp. */
export function ropeBackward(
  dinp: FloatArray,
  dout: FloatArray,
  positions: Int32Array,
  N: number,
  H: number,
  D: number,
  theta: number,
): void {
  if (dinp instanceof Float32Array && dout instanceof Float32Array)
    return ropeBackwardF32(dinp, dout, positions, N, H, D, theta);
  rotate(dinp, dout, positions, N, H, D, theta, -1, true);
}

/** Rotates x (N, H·D) as N tokens of H heads of width headDim; positions holds one entry per token. */
export function rope(x: Tensor, positions: Int32Array, headDim: number, theta: number): Tensor {
  const N = x.shape[0];
  const width = x.size / N;
  if (headDim % 2 !== 0 || width % headDim !== 0)
    throw new RangeError(`rope: row width ${width} is not a whole number of even heads of ${headDim}`);
  if (positions.length !== N) throw new RangeError(`rope: ${positions.length} positions for ${N} tokens`);
  const H = width / headDim;
  const out = Tensor.zeros(x.shape, x.kind);
  ropeForward(out.data, x.data, positions, N, H, headDim, theta);
  const tape = recordingTape(x);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (out.grad) ropeBackward(x.ensureGrad(), out.grad, positions, N, H, headDim, theta);
    });
  }
  return out;
}
