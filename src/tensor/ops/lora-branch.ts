// LoRA's low-rank branch added in place onto the frozen Linear's output, as one op:
// y += s·dropout(x)·Aᵀ·Bᵀ with its own backward. Composing it from generic ops cost three
// full-size temporaries and three elementwise passes per wrapped Linear; here the f32 path is two
// small GEMMs forward and four backward (the scale folded into alpha, the sum into beta = 1), and
// a native dropout whose mask is recomputed from a seed instead of stored.
import { gemmF32 } from '../../native/index.js';
import { dropoutApplyF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray, Tensor } from '../tensor.js';
import { allocFloat } from '../tensor.js';

/** The trainable pair of a LoRA adapter: A [r, in], B [out, r], and alpha/r. */
export interface LoraPair {
  a: Tensor;
  b: Tensor;
  scale: number;
}

/** c (m×n) += alpha · op(a)·op(b), plain loops: the float64 path of gradient checks. */
function matmulAdd(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let l = 0; l < k; l++)
        acc += (transA ? a[l * m + i] : a[i * k + l]) * (transB ? b[j * k + l] : b[l * n + j]);
      c[i * n + j] += alpha * acc;
    }
}

/** c += alpha · op(a)·op(b) on either float type (f32 through the GEMM kernels). */
function matmulAcc(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
): void {
  if (a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)
    gemmF32({ transA, transB, m, n, k, alpha, a, b, beta: 1, c });
  else matmulAdd(transA, transB, m, n, k, alpha, a, b, c);
}

/** Dropout on the branch's input: probability p, mask from `seed` (see `dropoutKeeps`). */
export interface BranchDropout {
  p: number;
  seed: number;
}

/** out = mask ⊙ x / (1-p), or out += that (accumulate), f32 natively, f64 with the same mask. */
function applyDropout(out: FloatArray, x: FloatArray, d: BranchDropout, accumulate: boolean): void {
  if (out instanceof Float32Array && x instanceof Float32Array)
    return dropoutApplyF32(out, x, x.length, d.p, d.seed, accumulate);
  const keep = dropoutKeeps(x.length, d.p, d.seed);
  const inv = 1 / (1 - d.p);
  for (let i = 0; i < x.length; i++) {
    const v = keep[i] ? x[i] * inv : 0;
    out[i] = accumulate ? out[i] + v : v;
  }
}

/**
 * Adds the branch s·dropout(x)·Aᵀ·Bᵀ to `base` (the Linear's output for x) in place and returns
 * it. Safe in place: the Linear's own backward reads only x and W, never its output.
 */
export function addLoraBranch(
  base: Tensor,
  x: Tensor,
  pair: LoraPair,
  dropout: BranchDropout | null,
): Tensor {
  const [r, In] = pair.a.shape;
  const Out = pair.b.shape[0];
  if (
    pair.b.shape[1] !== r ||
    x.shape[x.shape.length - 1] !== In ||
    base.shape[base.shape.length - 1] !== Out
  )
    throw new RangeError(
      `addLoraBranch: shapes x [${x.shape.join(', ')}], A [${pair.a.shape.join(', ')}], B [${pair.b.shape.join(', ')}], output [${base.shape.join(', ')}] do not compose`,
    );
  const N = x.size / In;
  let xin = x.data;
  if (dropout) {
    xin = allocFloat(x.kind, x.size);
    applyDropout(xin, x.data, dropout, false);
  }
  const t = allocFloat(x.kind, N * r);
  matmulAcc(false, true, N, r, In, 1, xin, pair.a.data, t); // t = xin·Aᵀ
  matmulAcc(false, true, N, Out, r, pair.scale, t, pair.b.data, base.data); // base += s·t·Bᵀ
  const tape = recordingTape(x, pair.a, pair.b);
  if (tape) {
    base.requiresGrad = true;
    tape.record(() => {
      const dy = base.grad;
      if (!dy) return;
      if (pair.b.requiresGrad) matmulAcc(true, false, Out, r, N, pair.scale, dy, t, pair.b.ensureGrad()); // dB += s·dyᵀ·t
      const dt = allocFloat(x.kind, N * r);
      matmulAcc(false, false, N, r, Out, pair.scale, dy, pair.b.data, dt); // dt = s·dy·B
      if (pair.a.requiresGrad) matmulAcc(true, false, r, In, N, 1, dt, xin, pair.a.ensureGrad()); // dA += dtᵀ·xin
      if (x.requiresGrad) {
        const dx = x.ensureGrad();
        if (!dropout) matmulAcc(false, false, N, In, r, 1, dt, pair.a.data, dx);
        else {
          const dxin = allocFloat(x.kind, x.size);
          matmulAcc(false, false, N, In, r, 1, dt, pair.a.data, dxin);
          applyDropout(dx, dxin, dropout, true);
        }
      }
    });
  }
  return base;
}

/** One draw of `rand` as a 32-bit dropout seed: a fresh mask per call, reproducible from the caller's generator. */
export function dropoutSeed(rand: () => number): number {
  return Math.floor(rand() * 4294967296) >>> 0;
}

/**
 * Dropout's keep flags for n elements (0 with probability p): element i is kept when splitmix32's
 * finalizer of seed + (i+1)·0x9e3779b9 is at least p·2³², the hash the native kernel computes.
 */
export function dropoutKeeps(n: number, p: number, seed: number): Uint8Array {
  const keep = new Uint8Array(n);
  const threshold = Math.floor(p * 4294967296);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    keep[i] = z >>> 0 >= threshold ? 1 : 0;
  }
  return keep;
}
