// The Linear layer y = x·Wᵀ + b with W [out, in] as checkpoints store it. In f32 the products go to
// the GEMM kernels (NT forward, NN for dX = dY·W, TN for dW = dYᵀ·X), reading bf16/f16 weights in
// place and GGML-quantized ones expanded into scratch just before the product; a bf16 weight (stored,
// or a trainable one's compute copy) gets its dW from bf16-rounded operands too (bf16 training). In
// f64 (gradient checks) they are plain loops.
import { gemmF32, gemmHalf, gemmRoundedBf16 } from '../../native/index.js';
import { recordingTape } from '../tape.js';
import type { FloatArray, Weight } from '../tensor.js';
import { Tensor, isTensor } from '../tensor.js';
import { expandedF32, expandedRowsF32, expansionChunkRows, weightValues } from '../weight-values.js';
import { isQuantized } from '../../model/weights.js';
import type { HalfType } from '../../native/index.js';

/**
 * A weight the half GEMM reads: a frozen bf16/f16 weight as stored, or a trainable one's bf16 compute
 * copy (mixed precision); null when it must be f32.
 */
function halfWeight(w: Weight): { bits: Uint16Array; type: HalfType } | null {
  if (isTensor(w)) return w.bf16 ? { bits: w.bf16, type: 'bf16' } : null;
  if (w.dtype !== 'bf16' && w.dtype !== 'f16') return null;
  return { bits: w.data as Uint16Array, type: w.dtype };
}

/**
 * Whether a weight computes in bf16: its gradient then comes from bf16-rounded operands as well, as
 * the forward's products already round their activations (a bf16 checkpoint's frozen weight, or a
 * trainable one with a bf16 compute copy).
 */
function computesInBf16(w: Weight): boolean {
  return isTensor(w) ? w.bf16 !== null : w.dtype === 'bf16';
}

/** An f32 view of a weight for the f32 GEMM: in place, widened once (cached), or expanded into scratch. */
function f32Weight(w: Weight): Float32Array {
  return isTensor(w) ? (weightValues(w, 'f32') as Float32Array) : expandedF32(w);
}

/** A quantized weight's output rows in chunks, each expanded into scratch just before `use`. */
function forQuantizedChunks(
  w: Weight,
  use: (rows: Float32Array, first: number, count: number) => void,
): boolean {
  if (isTensor(w) || !isQuantized(w)) return false;
  const [Out, In] = w.shape;
  const step = expansionChunkRows(In);
  for (let r = 0; r < Out; r += step) {
    const count = Math.min(step, Out - r);
    use(expandedRowsF32(w, r, count), r, count);
  }
  return true;
}

/** out (N,Out) = inp (N,In) · weightᵀ (Out,In) + bias (Out). */
export function linearForward(
  out: FloatArray,
  inp: FloatArray,
  weight: Weight,
  bias: FloatArray | null,
  N: number,
  In: number,
  Out: number,
): void {
  if (out instanceof Float32Array && inp instanceof Float32Array) {
    const half = halfWeight(weight);
    if (half) gemmHalf({ transB: true, m: N, n: Out, k: In, a: inp, b: half.bits, bType: half.type, c: out });
    else if (
      !forQuantizedChunks(weight, (rows, first, count) =>
        gemmF32({ transB: true, m: N, n: count, k: In, a: inp, b: rows, c: out.subarray(first), ldc: Out }),
      )
    )
      gemmF32({ transB: true, m: N, n: Out, k: In, a: inp, b: f32Weight(weight), c: out });
    if (bias) for (let n = 0; n < N; n++) for (let o = 0; o < Out; o++) out[n * Out + o] += bias[o];
    return;
  }
  const w = weightValues(weight, 'f64');
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < Out; o++) {
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < In; i++) acc += inp[n * In + i] * w[o * In + i];
      out[n * Out + o] = acc;
    }
  }
}

/**
 * Accumulates dinp (N,In), dweight (Out,In), dbias (Out); any may be null. With `dinpFresh` dinp
 * holds no gradient yet (not even zeros) and is overwritten instead.
 */
export function linearBackward(
  dinp: FloatArray | null,
  dweight: FloatArray | null,
  dbias: FloatArray | null,
  dout: FloatArray,
  inp: FloatArray,
  weight: Weight,
  N: number,
  In: number,
  Out: number,
  dinpFresh = false,
): void {
  if (dinpFresh && dinp && !(dout instanceof Float32Array && inp instanceof Float32Array)) dinp.fill(0);
  if (dout instanceof Float32Array && inp instanceof Float32Array) {
    if (dinp) {
      if (!(dinp instanceof Float32Array)) throw new TypeError('linearBackward: f32 dout needs an f32 dinp');
      const half = halfWeight(weight);
      const beta = dinpFresh ? 0 : 1;
      if (half) gemmHalf({ m: N, n: In, k: Out, a: dout, b: half.bits, bType: half.type, beta, c: dinp });
      else if (
        !forQuantizedChunks(weight, (rows, first, count) =>
          gemmF32({
            m: N,
            n: In,
            k: count,
            a: dout.subarray(first),
            lda: Out,
            b: rows,
            beta: first === 0 ? beta : 1,
            c: dinp,
          }),
        )
      )
        gemmF32({ m: N, n: In, k: Out, a: dout, b: f32Weight(weight), beta, c: dinp });
    }
    if (dweight) {
      if (!(dweight instanceof Float32Array))
        throw new TypeError('linearBackward: f32 dout needs an f32 dweight');
      const gemm = computesInBf16(weight) ? gemmRoundedBf16 : gemmF32;
      gemm({ transA: true, m: Out, n: In, k: N, a: dout, b: inp, beta: 1, c: dweight });
    }
  } else {
    const w = weightValues(weight, 'f64');
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < Out; o++) {
        const g = dout[n * Out + o];
        if (g === 0) continue;
        for (let i = 0; i < In; i++) {
          if (dinp) dinp[n * In + i] += g * w[o * In + i];
          if (dweight) dweight[o * In + i] += g * inp[n * In + i];
        }
      }
    }
  }
  if (dbias) for (let n = 0; n < N; n++) for (let o = 0; o < Out; o++) dbias[o] += dout[n * Out + o];
}

/**
 * y = x·Wᵀ + b over the last dimension of x; W is [out, in]. `weightGrad`, for a frozen weight,
 * receives ∂L/∂W (accumulated) without the weight becoming a trainable copy: how the Taylor
 * criterion gets gradients of quantized or bf16 weights that stay as stored.
 */
export function linear(
  x: Tensor,
  weight: Weight,
  bias: Weight | null = null,
  weightGrad: FloatArray | null = null,
): Tensor {
  if (weight.shape.length !== 2)
    throw new RangeError(`linear: weight must be 2-D (got [${weight.shape.join(', ')}])`);
  const [Out, In] = weight.shape;
  if (x.shape[x.shape.length - 1] !== In)
    throw new RangeError(
      `linear: input width ${x.shape[x.shape.length - 1]} does not match weight [${Out}, ${In}]`,
    );
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== Out))
    throw new RangeError(`linear: bias shape [${bias.shape.join(', ')}] is not [${Out}]`);
  if (isTensor(weight) && weight.kind !== x.kind)
    throw new RangeError(`linear: ${weight.kind} weight with ${x.kind} input`);
  const N = x.size / In;
  const biasValues = bias ? weightValues(bias, x.kind) : null;
  const out = Tensor.empty([...x.shape.slice(0, -1), Out], x.kind); // written whole by the forward
  linearForward(out.data, x.data, weight, biasValues, N, In, Out);
  if (weightGrad && weightGrad.length !== Out * In)
    throw new RangeError(`linear: weightGrad has ${weightGrad.length} elements, expected ${Out * In}`);
  const tape = recordingTape(x, weight, bias);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (!out.grad) return;
      const dweight = isTensor(weight) && weight.requiresGrad ? weight.ensureGrad() : weightGrad;
      const dbias = bias && isTensor(bias) && bias.requiresGrad ? bias.ensureGrad() : null;
      const dx = x.requiresGrad ? x.takeGrad() : null;
      linearBackward(dx?.grad ?? null, dweight, dbias, out.grad, x.data, weight, N, In, Out, dx?.fresh);
    }, out);
  }
  return out;
}
