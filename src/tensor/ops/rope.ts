// Rotary position embedding in Hugging Face's half-split layout (rotate_half): within each head,
// element i pairs with i + D/2, rotated by position · invFreq[i] and scaled by the table's factor
// (src/model/rotary.ts computes both for every rope scaling). Backward is the transposed rotation.
import { ropeBackwardF32, ropeForwardF32 } from '../../native/ops.js';
import type { RotaryTable } from '../../model/rotary.js';
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
  table: RotaryTable,
  sign: number,
  accumulate: boolean,
): void {
  const half = D / 2;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < half; i++) {
      const angle = positions[n] * table.invFreq[i];
      const cos = table.scale * Math.cos(angle);
      const sin = sign * table.scale * Math.sin(angle);
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

function checkTable(table: RotaryTable, D: number): void {
  if (table.invFreq.length !== D / 2)
    throw new RangeError(`rope: ${table.invFreq.length} inverse frequencies for head width ${D}`);
}

/** out (N,H,D) = rotation of inp (N,H,D) by positions (N). */
export function ropeForward(
  out: FloatArray,
  inp: FloatArray,
  positions: Int32Array,
  N: number,
  H: number,
  D: number,
  table: RotaryTable,
): void {
  checkTable(table, D);
  if (out instanceof Float32Array && inp instanceof Float32Array)
    return ropeForwardF32(out, inp, positions, N, H, D, table.invFreq, table.scale);
  rotate(out, inp, positions, N, H, D, table, 1, false);
}

/** Accumulates the transposed rotation of dout into dinp. */
export function ropeBackward(
  dinp: FloatArray,
  dout: FloatArray,
  positions: Int32Array,
  N: number,
  H: number,
  D: number,
  table: RotaryTable,
): void {
  checkTable(table, D);
  if (dinp instanceof Float32Array && dout instanceof Float32Array)
    return ropeBackwardF32(dinp, dout, positions, N, H, D, table.invFreq, table.scale);
  rotate(dinp, dout, positions, N, H, D, table, -1, true);
}

/** Rotates x (N, H·D) as N tokens of H heads of width headDim; positions holds one entry per token. */
export function rope(x: Tensor, positions: Int32Array, headDim: number, table: RotaryTable): Tensor {
  const N = x.shape[0];
  const width = x.size / N;
  if (headDim % 2 !== 0 || width % headDim !== 0)
    throw new RangeError(`rope: row width ${width} is not a whole number of even heads of ${headDim}`);
  if (positions.length !== N) throw new RangeError(`rope: ${positions.length} positions for ${N} tokens`);
  const H = width / headDim;
  const out = Tensor.empty(x.shape, x.kind); // written whole by the forward
  ropeForward(out.data, x.data, positions, N, H, headDim, table);
  const tape = recordingTape(x);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (out.grad) ropeBackward(x.ensureGrad(), out.grad, positions, N, H, headDim, table);
    }, out);
  }
  return out;
}
