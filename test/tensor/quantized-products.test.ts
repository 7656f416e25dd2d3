// Products with a quantized weight run over chunks of its rows, each expanded into scratch just
// before use: forward, the frozen weight's gradient sink and the inference GEMV/GEMM equal the same
// products with the weight expanded whole, for any chunk size (the input gradient to rounding: its
// sum over output rows runs chunk by chunk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matmulWeight } from '../../src/model/matmul.js';
import type { WeightTensor } from '../../src/model/weights.js';
import { quantize } from '../../src/native/quant.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { Tape } from '../../src/tensor/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { setExpansionChunkValues, weightValues } from '../../src/tensor/weight-values.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

const OUT = 37;
const IN = 256;
const rand = mulberry32(4);
const q: WeightTensor = {
  dtype: 'q4_k',
  shape: [OUT, IN],
  data: quantize('q4_k', randomF32(OUT * IN, rand)),
};
const f: WeightTensor = { dtype: 'f32', shape: [OUT, IN], data: weightValues(q, 'f32') as Float32Array };

function run(
  weight: WeightTensor,
  x: Float32Array,
  rows: number,
): { y: Float32Array; dx: Float32Array; dw: Float32Array } {
  const input = new Tensor([rows, IN], Float32Array.from(x), true);
  const dw = new Float32Array(OUT * IN);
  const tape = new Tape();
  const y = tape.run(() => linear(input, weight, null, dw));
  tape.backward(
    y,
    Float32Array.from({ length: rows * OUT }, (_, i) => Math.sin(i)),
  );
  return { y: y.data as Float32Array, dx: input.grad as Float32Array, dw };
}

test('linear over a quantized weight in chunks of rows equals the whole expanded weight', () => {
  const x = randomF32(5 * IN, rand);
  const whole = run(f, x, 5);
  for (const chunk of [IN, 3 * IN, 10 * IN]) {
    const old = setExpansionChunkValues(chunk);
    try {
      const got = run(q, x, 5);
      assert.deepEqual(got.y, whole.y, `forward, chunk ${chunk}`);
      // The input gradient sums over output rows, chunk by chunk: the same terms, another order.
      const scale = Math.max(...whole.dx.map(Math.abs));
      got.dx.forEach((v, i) =>
        assert.ok(Math.abs(v - whole.dx[i]) <= 1e-5 * scale, `dx[${i}], chunk ${chunk}`),
      );
      assert.deepEqual(got.dw, whole.dw, `weight gradient sink, chunk ${chunk}`);
    } finally {
      setExpansionChunkValues(old);
    }
  }
});

test('matmulWeight (decode GEMV and prefill GEMM) over a quantized weight in chunks equals the expanded weight', () => {
  for (const rows of [1, 4]) {
    const x = randomF32(rows * IN, rand);
    const want = new Float32Array(rows * OUT).fill(0.5);
    matmulWeight(x, rows, f, want, 1);
    const old = setExpansionChunkValues(2 * IN);
    try {
      const got = new Float32Array(rows * OUT).fill(0.5);
      matmulWeight(x, rows, q, got, 1);
      assert.deepEqual(got, want, `rows ${rows}`);
    } finally {
      setExpansionChunkValues(old);
    }
  }
});
