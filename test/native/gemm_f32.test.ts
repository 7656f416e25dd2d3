// f32 GEMM on every ISA path against a float64 reference: all transpose forms, edge sizes,
// strided views whose padding must be neither read (NaN) nor written, alpha and beta.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeIsa, availableIsas, bestIsa, gemmF32, setIsa, setThreadCount, threadCount } from '../../src/native/index.js';
import { mulberry32, poisoned, randomF32 } from '../helpers/random.js';
import { gemmReference, maxScaledError } from '../helpers/reference.js';

const TOLERANCE = 1e-5;
const PAD_SENTINEL = 12345;

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  pad: number;
}

/** A rows × cols matrix with row stride cols + pad, padding NaN so any read of it shows. */
function stridedRandom(rows: number, cols: number, pad: number, rand: () => number) {
  const ld = cols + pad;
  const data = poisoned(rows * ld);
  const values = randomF32(rows * cols, rand);
  for (let r = 0; r < rows; r++) data.set(values.subarray(r * cols, (r + 1) * cols), r * ld);
  return { data, ld };
}

function runCase(c: Case, seed: number): void {
  const rand = mulberry32(seed);
  const { transA, transB, m, n, k, alpha, beta, pad } = c;
  const a = transA ? stridedRandom(k, m, pad, rand) : stridedRandom(m, k, pad, rand);
  const b = transB ? stridedRandom(n, k, pad, rand) : stridedRandom(k, n, pad, rand);
  const ldc = n + pad;
  // beta = 0 gets NaN in C so an unwritten element fails; C's padding holds a sentinel that must survive.
  const cData = beta === 0 ? poisoned(m * ldc) : randomF32(m * ldc, rand);
  for (let i = 0; i < m; i++) cData.fill(PAD_SENTINEL, i * ldc + n, (i + 1) * ldc);
  const cBefore = cData.slice();

  gemmF32({ transA, transB, m, n, k, alpha, a: a.data, lda: a.ld, b: b.data, ldb: b.ld, beta, c: cData, ldc });

  const want = gemmReference({ transA, transB, m, n, k, alpha, a: a.data, lda: a.ld, b: b.data, ldb: b.ld, beta, c: cBefore, ldc });
  const got = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      got[i * n + j] = cData[i * ldc + j];
      let s = 0;
      for (let l = 0; l < k; l++) {
        const av = transA ? a.data[l * a.ld + i] : a.data[i * a.ld + l];
        const bv = transB ? b.data[j * b.ld + l] : b.data[l * b.ld + j];
        s += Math.abs(av * bv);
      }
      scale[i * n + j] = s * Math.abs(alpha) + (beta === 0 ? 0 : Math.abs(beta * cBefore[i * ldc + j]));
    }
    for (let j = n; j < ldc; j++) {
      if (cData[i * ldc + j] !== PAD_SENTINEL) assert.fail(`C padding written at row ${i}, column ${j}`);
    }
  }
  const err = maxScaledError(got, want, scale);
  assert.ok(err < TOLERANCE, `${JSON.stringify(c)}: scaled error ${err}`);
}

const FORMS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const SIZES = [1, 7, 33, 129, 300];

/** Every m, n, k combination of SIZES, trimmed of the largest ones to keep the JS reference fast. */
function shapeCases(): Case[] {
  const cases: Case[] = [];
  let variant = 0;
  for (const m of SIZES) {
    for (const n of SIZES) {
      for (const k of SIZES) {
        if (m * n * k > 300 * 129 * 33) continue;
        // Rotate through strides and scalars so each shape meets a different mix.
        const pick = variant++ % 4;
        cases.push({
          transA: false,
          transB: false,
          m,
          n,
          k,
          alpha: pick === 1 ? -0.75 : 1,
          beta: pick === 2 ? 0.5 : pick === 3 ? -1.25 : 0,
          pad: pick === 0 ? 0 : 3 + pick,
        });
      }
    }
  }
  return cases;
}

const isas = availableIsas();
const best = bestIsa();
const threadsBefore = threadCount();

for (const isa of isas) {
  for (const threads of [1, 2]) {
    test(`gemm f32 ${isa}, ${threads} thread(s): all forms and edge shapes`, () => {
      assert.equal(setIsa(isa), true);
      setThreadCount(threads);
      try {
        let seed = 1;
        for (const [transA, transB] of FORMS) {
          for (const c of shapeCases()) runCase({ ...c, transA, transB }, seed++);
        }
      } finally {
        setIsa(best);
        setThreadCount(threadsBefore);
      }
    });
  }

  test(`gemm f32 ${isa}: a few hundred on each side, strided, alpha and beta`, () => {
    assert.equal(setIsa(isa), true);
    setThreadCount(2);
    try {
      let seed = 1000;
      for (const [transA, transB] of FORMS) {
        // 257 columns split between two threads at column 128, inside a 48-column panel (AVX-512).
        runCase({ transA, transB, m: 300, n: 257, k: 300, alpha: 1, beta: 0, pad: 0 }, seed++);
        runCase({ transA, transB, m: 40, n: 257, k: 70, alpha: 0.75, beta: 1.5, pad: 1 }, seed++);
        runCase({ transA, transB, m: 129, n: 300, k: 290, alpha: 0.5, beta: -2, pad: 5 }, seed++);
        // Too few columns to split between threads: the rows are split instead.
        runCase({ transA, transB, m: 300, n: 129, k: 300, alpha: 1.5, beta: 0.25, pad: 2 }, seed++);
        // LoRA's rank-r products: at most 16 wide (the narrow kernel), rows split between threads.
        runCase({ transA, transB, m: 300, n: 8, k: 290, alpha: 2, beta: 1, pad: 3 }, seed++);
        runCase({ transA, transB, m: 257, n: 16, k: 33, alpha: 1, beta: 0, pad: 0 }, seed++);
        // Depth beyond one block (kc is at most 1024): later blocks accumulate onto C.
        runCase({ transA, transB, m: 37, n: 101, k: 2100, alpha: 1, beta: -0.5, pad: 1 }, seed++);
      }
    } finally {
      setIsa(best);
      setThreadCount(threadsBefore);
    }
  });
}

test('gemm f32 leaves the best path active', () => {
  assert.equal(activeIsa(), best);
  assert.equal(threadCount(), threadsBefore);
});
