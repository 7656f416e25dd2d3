// GEMV y = alpha·W·x + beta·y for f32/bf16/f16 W on every ISA path, against a float64 reference
// from the exactly widened weights (every path widens W exactly and never rounds x).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  availableIsas,
  bestIsa,
  bf16ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  gemv,
  setIsa,
  setThreadCount,
  threadCount,
} from '../../src/native/index.js';
import { mulberry32, poisoned, randomF32 } from '../helpers/random.js';
import { gemmReference, maxScaledError } from '../helpers/reference.js';

type WType = 'f32' | 'bf16' | 'f16';

function runCase(
  wType: WType,
  o: { n: number; k: number; ldw: number; alpha: number; beta: number; offset?: number },
  seed: number,
  label: string,
): Float32Array {
  const rand = mulberry32(seed);
  const { n, k, ldw, alpha, beta } = o;
  const offset = o.offset ?? 0;
  // Row padding is NaN: a kernel reading past k in a row turns y into NaN. With an offset, W is a
  // view that many elements into its buffer (NaN before it), so rows start off any alignment.
  const wBuf = poisoned(offset + n * ldw);
  const wF = wBuf.subarray(offset);
  const vals = randomF32(n * k, rand);
  for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) wF[j * ldw + l] = vals[j * k + l];
  const wHalf = wType === 'f32' ? wBuf : wType === 'bf16' ? f32ToBf16(wBuf) : f32ToF16(wBuf);
  const w = wHalf.subarray(offset);
  const wWide = wType === 'f32' ? wF : wType === 'bf16' ? bf16ToF32(w as Uint16Array) : f16ToF32(w as Uint16Array);
  const x = randomF32(k, rand);
  const yIn = beta === 0 ? poisoned(n) : randomF32(n, rand);
  const y = yIn.slice();
  gemv({ n, k, alpha, w, ldw, wType, x, beta, y });

  // y as an n×1 GEMM: W is A (n×k, row stride ldw) and x is B (k×1).
  const base = { transA: false, transB: false, m: n, n: 1, k, lda: ldw, ldb: 1, ldc: 1 };
  const want = gemmReference({ ...base, alpha, a: wWide, b: x, beta, c: yIn });
  const scale = gemmReference({
    ...base,
    alpha: Math.abs(alpha),
    a: wWide.map(Math.abs),
    b: x.map(Math.abs),
    beta: Math.abs(beta),
    c: yIn.map(Math.abs),
  });
  const e = maxScaledError(y, want, scale);
  assert.ok(e < 1e-5, `${label}: error ${e}`);
  return y;
}

const SHAPES: [number, number][] = [
  [1, 1],
  [7, 33],
  [33, 7],
  [129, 129],
  [5, 300],
  [300, 257],
  [1000, 700],
  [4, 4096],
  [19, 384],
];

for (const wType of ['f32', 'bf16', 'f16'] as const) {
  test(`gemv ${wType} matches the float64 reference on every path, 1 and 2 threads`, () => {
    const best = bestIsa();
    const before = threadCount();
    try {
      for (const threads of [1, 2]) {
        setThreadCount(threads);
        for (const isa of availableIsas()) {
          assert.equal(setIsa(isa), true);
          SHAPES.forEach(([n, k], i) => {
            const strided = i % 2 === 1;
            const ldw = strided ? k + 7 : k;
            const label = `${isa} ${wType} n=${n} k=${k} ldw=${ldw} threads=${threads}`;
            runCase(wType, { n, k, ldw, alpha: 1, beta: 0 }, i, `${label} beta=0`);
            runCase(wType, { n, k, ldw, alpha: -1.25, beta: 0.75 }, 100 + i, `${label} beta=0.75`);
          });
        }
      }
    } finally {
      setIsa(best);
      setThreadCount(before);
    }
  });
}

// The AVX-512 path reads bf16/f16 rows that start part-way into a line (a row stride of whole lines)
// by aligned loads and a permute: every offset of W into its buffer, rows long enough for the main
// loop and its tail, and rows shorter than one line.
for (const wType of ['f32', 'bf16', 'f16'] as const) {
  test(`gemv ${wType}: W at every offset from a 64-byte boundary`, () => {
    const lanes = wType === 'f32' ? 16 : 32; // elements per 64 bytes
    const before = threadCount();
    try {
      for (const threads of [1, 2]) {
        setThreadCount(threads);
        for (let offset = 0; offset < lanes; offset++) {
          for (const [n, k, ldw] of [
            [19, 300, lanes * 20],
            [9, 5, lanes],
            [300, 1000, lanes * 64],
          ]) {
            const label = `${wType} offset=${offset} n=${n} k=${k} ldw=${ldw} threads=${threads}`;
            runCase(wType, { n, k, ldw, alpha: 1, beta: 0, offset }, offset, label);
          }
        }
      }
    } finally {
      setThreadCount(before);
    }
  });
}

// Where W sits in memory must not change a single bit of y: a sum whose grouping followed the
// address (rows peeled to their line boundary) made a batch's sampled text differ from run to run
// with the allocations. The same weights at every offset from a line, on every path, 1 and 2 threads.
for (const wType of ['f32', 'bf16', 'f16'] as const) {
  test(`gemv ${wType}: y is bit-identical wherever W sits`, () => {
    const lanes = wType === 'f32' ? 16 : 32;
    const best = bestIsa();
    const before = threadCount();
    try {
      for (const isa of availableIsas()) {
        assert.equal(setIsa(isa), true);
        for (const [n, k, ldw] of [
          [300, 1000, lanes * 64],
          [19, 300, lanes * 20],
          [64, 4096, 4096],
        ]) {
          let first: Float32Array | null = null;
          for (const threads of [1, 2]) {
            setThreadCount(threads);
            for (let offset = 0; offset < lanes; offset++) {
              const label = `${isa} ${wType} n=${n} k=${k} offset=${offset} threads=${threads}`;
              const y = runCase(wType, { n, k, ldw, alpha: 1, beta: 0, offset }, 7, label);
              if (first === null) first = y;
              else assert.deepEqual(y, first, `${label}: differs from offset 0, 1 thread`);
            }
          }
        }
      }
    } finally {
      setIsa(best);
      setThreadCount(before);
    }
  });
}
