// llama2.c and GGUF store q/k projection rows in the interleaved rotary layout (pairs 2i, 2i+1);
// Hugging Face and our model use the half-split layout (i, i + headDim/2). These move rows
// between the two, the inverse of llama.cpp convert_hf_to_gguf's `permute`. A row of a GGML-quantized
// tensor is whole blocks, so quantized rows move as bytes, unchanged.
import type { WeightTensor } from '../model/weights.js';

type RowData = Float32Array | Uint16Array | Uint8Array;

/**
 * Within each head of `headDim` rows: interleaved row 2i + j holds half-split row j·headDim/2 + i.
 * `numHeads` is the head count of this projection (the kv head count for k).
 */
function permuteRows(
  src: RowData,
  rows: number,
  cols: number,
  numHeads: number,
  toHalfSplit: boolean,
): RowData {
  if (rows % numHeads !== 0 || (rows / numHeads) % 2 !== 0)
    throw new RangeError(
      `rotary permutation: ${rows} rows do not split into ${numHeads} heads of even width`,
    );
  const headDim = rows / numHeads;
  const half = headDim / 2;
  const dst =
    src instanceof Float32Array
      ? new Float32Array(src.length)
      : src instanceof Uint16Array
        ? new Uint16Array(src.length)
        : new Uint8Array(src.length);
  for (let h = 0; h < numHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleaved = h * headDim + 2 * i + j;
        const halfSplit = h * headDim + j * half + i;
        const from = toHalfSplit ? interleaved : halfSplit;
        const to = toHalfSplit ? halfSplit : interleaved;
        dst.set(src.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return dst;
}

function permuteTensor(t: WeightTensor, numHeads: number, toHalfSplit: boolean): WeightTensor {
  const rows = t.shape[0];
  const cols = t.shape.length > 1 ? t.data.length / rows : 1;
  return {
    dtype: t.dtype,
    shape: [...t.shape],
    data: permuteRows(t.data, rows, cols, numHeads, toHalfSplit),
  };
}

/** Interleaved (llama2.c, GGUF) → half-split (HF, internal). Works on a weight [out, in] or a bias [out]. */
export function interleavedToHalfSplit(t: WeightTensor, numHeads: number): WeightTensor {
  return permuteTensor(t, numHeads, true);
}

/** Half-split (HF, internal) → interleaved (llama2.c, GGUF). */
export function halfSplitToInterleaved(t: WeightTensor, numHeads: number): WeightTensor {
  return permuteTensor(t, numHeads, false);
}
