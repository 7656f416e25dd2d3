// GEMM with bf16/f16 weights on every ISA path, both weight layouts, strided views and edge sizes,
// against a float64 reference built from the exactly widened weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  amxActive,
  availableIsas,
  bestIsa,
  bf16ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  gemmF32,
  gemmHalf,
  setAmx,
  setIsa,
  setThreadCount,
  threadCount,
  type HalfType,
  type Isa,
} from '../../src/native/index.js';
import { mulberry32, poisoned, randomF32 } from '../helpers/random.js';
import { gemmReference, maxScaledError } from '../helpers/reference.js';

const NAN_BITS: Record<HalfType, number> = { bf16: 0x7fc0, f16: 0x7e00 };
const C_SENTINEL = 12345.5;

interface Case {
  m: number;
  n: number;
  k: number;
  transB: boolean;
  strided: boolean;
  alpha: number;
  beta: number;
}

/** A kernel path: an ISA, or the AVX-512 path with its bf16 products on AMX tiles. */
type Path = Isa | 'amx';

// The AVX-512 bf16 paths (VDPBF16PS, AMX tiles) round A to bf16; every other path widens exactly.
function roundsA(path: Path, bType: HalfType): boolean {
  return (path === 'avx512' || path === 'amx') && bType === 'bf16';
}

function runCase(isa: Path, bType: HalfType, c: Case, seed: number): void {
  const rand = mulberry32(seed);
  const { m, n, k, transB, alpha, beta } = c;
  const pad = c.strided ? 1 : 0;
  const lda = k + 3 * pad;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const ldb = bCols + 5 * pad;
  const ldc = n + 2 * pad;

  // NaN in every padding element: a kernel that reads one produces NaN in C.
  const a = poisoned(m * lda);
  const aRand = randomF32(m * k, rand);
  for (let i = 0; i < m; i++) for (let l = 0; l < k; l++) a[i * lda + l] = aRand[i * k + l];
  const bVals = randomF32(bRows * bCols, rand);
  const bPacked = bType === 'bf16' ? f32ToBf16(bVals) : f32ToF16(bVals);
  const b = new Uint16Array(bRows * ldb).fill(NAN_BITS[bType]);
  for (let r = 0; r < bRows; r++) b.set(bPacked.subarray(r * bCols, (r + 1) * bCols), r * ldb);
  const bWide = bType === 'bf16' ? bf16ToF32(b) : f16ToF32(b);

  const cIn = beta === 0 ? poisoned(m * ldc) : randomF32(m * ldc, rand);
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) cIn[i * ldc + j] = C_SENTINEL;
  const cOut = cIn.slice();
  gemmHalf({ transB, m, n, k, alpha, a, lda, b, ldb, bType, beta, c: cOut, ldc });

  const base = { transA: false, transB, m, n, k, lda, ldb, ldc };
  const aAbs = a.map(Math.abs);
  const scale = gemmReference({
    ...base,
    alpha: Math.abs(alpha),
    a: aAbs,
    b: bWide.map(Math.abs),
    beta: Math.abs(beta),
    c: cIn.map(Math.abs),
  });
  const exact = gemmReference({ ...base, alpha, a, b: bWide, beta, c: cIn });
  const got = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) got[i * n + j] = cOut[i * ldc + j];
    for (let j = n; j < ldc; j++) assert.equal(cOut[i * ldc + j], C_SENTINEL, `C padding written at ${i},${j}`);
  }
  const label = `${isa} ${bType} ${transB ? 'NT' : 'NN'} m=${m} n=${n} k=${k} strided=${c.strided} beta=${beta}`;
  if (roundsA(isa, bType)) {
    const aRounded = bf16ToF32(f32ToBf16(a));
    const rounded = gemmReference({ ...base, alpha, a: aRounded, b: bWide, beta, c: cIn });
    const e = maxScaledError(got, rounded, scale);
    assert.ok(e < 1e-5, `${label}: error ${e} against A rounded to bf16`);
    // Rounding A to bf16 moves each product by at most 2^-9 of its magnitude.
    const eExact = maxScaledError(got, exact, scale);
    assert.ok(eExact < 2 ** -8, `${label}: error ${eExact} against unrounded A`);
  } else {
    const e = maxScaledError(got, exact, scale);
    assert.ok(e < 1e-5, `${label}: error ${e}`);
  }
}

const CASES: Case[] = [];
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 129, 33],
  [7, 33, 129],
  [3, 7, 2],
  [33, 129, 7],
  [129, 7, 33],
  [5, 300, 257],
  [64, 97, 1],
  [200, 48, 129],
];
for (const [m, n, k] of SHAPES) {
  for (const transB of [true, false]) {
    CASES.push({ m, n, k, transB, strided: (m + n + k) % 2 === 0, alpha: 1, beta: 0 });
    CASES.push({ m, n, k, transB, strided: (m + n + k) % 2 !== 0, alpha: -0.75, beta: 0.5 });
  }
}

/** Runs fn on every path this CPU has: each ISA, and AMX on and off where the CPU has AMX. */
function withEachIsa(fn: (path: Path) => void): void {
  const best = bestIsa();
  const amx = amxActive();
  try {
    for (const isa of availableIsas()) {
      assert.equal(setIsa(isa), true);
      setAmx(false);
      fn(isa);
      if (isa === 'avx512' && setAmx(true)) fn('amx');
    }
  } finally {
    setIsa(best);
    setAmx(amx);
  }
}

function withThreads(n: number, fn: () => void): void {
  const before = threadCount();
  setThreadCount(n);
  try {
    fn();
  } finally {
    setThreadCount(before);
  }
}

for (const bType of ['bf16', 'f16'] as const) {
  for (const threads of [1, 2]) {
    test(`gemmHalf ${bType} matches the float64 reference on every path (${threads} thread(s))`, () => {
      withThreads(threads, () =>
        withEachIsa((isa) => {
          CASES.forEach((c, i) => runCase(isa, bType, c, 1000 * threads + i));
        }),
      );
    });
  }

  test(`gemmHalf ${bType}: a few hundred on each side, both layouts, beta = 1 accumulation`, () => {
    withEachIsa((isa) => {
      // The portable path is the naive loop the others replace; the small cases cover it.
      if (isa === 'portable') return;
      for (const transB of [true, false]) {
        runCase(isa, bType, { m: 100, n: 300, k: 257, transB, strided: true, alpha: 2, beta: 1 }, 77);
      }
    });
  });

  // k past one cache block and n past the parallel split, so block edges and the thread split
  // are crossed with beta != 0 (the first k block applies beta, later ones accumulate).
  test(`gemmHalf ${bType}: long k across cache blocks, both thread counts`, () => {
    for (const threads of [1, 2]) {
      withThreads(threads, () =>
        withEachIsa((isa) => {
          if (isa === 'portable') return;
          runCase(isa, bType, { m: 19, n: 100, k: 1100, transB: true, strided: true, alpha: 1.5, beta: -2 }, 5);
          runCase(isa, bType, { m: 9, n: 70, k: 777, transB: false, strided: false, alpha: 1, beta: 0 }, 6);
          // More k than one packed panel of the AMX path (2048): the tiles fold into C once per panel.
          runCase(isa, bType, { m: 21, n: 40, k: 2085, transB: false, strided: true, alpha: 1, beta: 1 }, 7);
          runCase(isa, bType, { m: 13, n: 33, k: 4200, transB: true, strided: false, alpha: 1, beta: 0 }, 8);
        }),
      );
    }
  });
}

// A packed in several row blocks (k long enough that one block of all m rows overflows the packed-A
// budget) and shared by the threads that split the columns. The float64 reference is too slow at this
// size, so the check is against the f32 GEMM (itself checked against float64) on the same widened
// values, and two threads must reproduce one thread bit for bit.
test('gemmHalf: several A row blocks shared across threads match the f32 GEMM and one thread', () => {
  const rand = mulberry32(99);
  const m = 430,
    n = 150,
    k = 8000;
  const a = randomF32(m * k, rand);
  const aAbs = a.map(Math.abs);
  const before = threadCount();
  try {
    for (const bType of ['bf16', 'f16'] as const) {
      for (const transB of [true, false]) {
        const vals = randomF32(n * k, rand);
        const b = bType === 'bf16' ? f32ToBf16(vals) : f32ToF16(vals);
        const bWide = bType === 'bf16' ? bf16ToF32(b) : f16ToF32(b);
        const aUsed = roundsA(amxActive() ? 'amx' : bestIsa(), bType) ? bf16ToF32(f32ToBf16(a)) : a;
        const want = new Float32Array(m * n);
        const scale = new Float32Array(m * n);
        gemmF32({ transB, m, n, k, a: aUsed, b: bWide, c: want });
        gemmF32({ transB, m, n, k, a: aAbs, b: bWide.map(Math.abs), c: scale });
        const outs: Float32Array[] = [];
        for (const threads of [1, 2]) {
          setThreadCount(threads);
          const c = poisoned(m * n);
          gemmHalf({ transB, m, n, k, a, b, bType, c });
          outs.push(c);
        }
        const label = `${bType} ${transB ? 'NT' : 'NN'}`;
        assert.ok(maxScaledError(outs[0], want, scale) < 2e-5, `${label}: against the f32 GEMM`);
        assert.deepEqual(outs[1], outs[0], `${label}: two threads differ from one`);
      }
    }
  } finally {
    setThreadCount(before);
  }
});
