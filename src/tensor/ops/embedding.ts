// Token embedding lookup: rows of a table (often an mmapped bf16 matrix, read row by row so the
// whole table is never widened). The gradient scatters into the table only when it is trainable.
import { recordingTape } from '../tape.js';
import type { FloatArray, FloatKind, Weight } from '../tensor.js';
import { Tensor, isTensor } from '../tensor.js';
import { copyWeightRow } from '../weight-values.js';

/** out (N,C) = table[ids[n]]; table (V,C). */
export function embeddingForward(
  out: FloatArray,
  table: Weight,
  ids: Int32Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) copyWeightRow(table, ids[n], C, out, n * C);
}

/** Accumulates dout rows into dtable rows (repeated ids add up). */
export function embeddingBackward(
  dtable: FloatArray,
  dout: FloatArray,
  ids: Int32Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const row = ids[n] * C;
    for (let c = 0; c < C; c++) dtable[row + c] += dout[n * C + c];
  }
}

/** Looks up each id's row; the output is [ids.length, C] of the given float type. */
export function embedding(table: Weight, ids: Int32Array, kind: FloatKind): Tensor {
  if (table.shape.length !== 2)
    throw new RangeError(`embedding: table must be 2-D (got [${table.shape.join(', ')}])`);
  const [V, C] = table.shape;
  const N = ids.length;
  for (let n = 0; n < N; n++)
    if (!(ids[n] >= 0 && ids[n] < V))
      throw new RangeError(`embedding: id ${ids[n]} at ${n} is outside the vocabulary [0, ${V})`);
  if (isTensor(table) && table.kind !== kind)
    throw new RangeError(`embedding: a ${table.kind} table cannot produce ${kind} output`);
  const out = Tensor.zeros([N, C], kind);
  embeddingForward(out.data, table, ids, N, C);
  const tape = recordingTape(table);
  if (tape && isTensor(table)) {
    out.requiresGrad = true;
    tape.record(() => {
      if (out.grad) embeddingBackward(table.ensureGrad(), out.grad, ids, N, C);
    }, out);
  }
  return out;
}
