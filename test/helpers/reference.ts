// Plain float64 references that the kernels are checked against.

/** C = alpha·op(A)·op(B) + beta·C in float64, row-major with strides; returns m×n packed. */
export function gemmReference(o: {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: ArrayLike<number>;
  lda: number;
  b: ArrayLike<number>;
  ldb: number;
  beta: number;
  c: ArrayLike<number>;
  ldc: number;
}): Float64Array {
  const out = new Float64Array(o.m * o.n);
  for (let i = 0; i < o.m; i++) {
    for (let j = 0; j < o.n; j++) {
      let acc = 0;
      for (let l = 0; l < o.k; l++) {
        const a = o.transA ? o.a[l * o.lda + i] : o.a[i * o.lda + l];
        const b = o.transB ? o.b[j * o.ldb + l] : o.b[l * o.ldb + j];
        acc += a * b;
      }
      out[i * o.n + j] = o.alpha * acc + (o.beta === 0 ? 0 : o.beta * o.c[i * o.ldc + j]);
    }
  }
  return out;
}

/**
 * Largest error relative to the scale of the problem: |got - want| / (sum |a||b| + |beta c|),
 * the bound a dot product's rounding error obeys, so it is meaningful near zero too.
 */
export function maxScaledError(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  scale: ArrayLike<number>,
): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    if (!Number.isFinite(g)) return Infinity;
    const e = Math.abs(g - want[i]) / Math.max(scale[i], 1e-30);
    if (e > worst) worst = e;
  }
  return worst;
}
