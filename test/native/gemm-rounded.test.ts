// The bf16-rounded GEMM (both operands rounded to bf16, f32 accumulation; the weight gradient of
// bf16 training) in every transpose form, odd sizes, strided views and alpha/beta, on AMX tiles where
// the CPU has them and on the rounded-copies path elsewhere, against a float64 reference on the
// rounded operands; and one thread against two, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  amxActive,
  bf16ToF32,
  f32ToBf16,
  gemmRoundedBf16,
  setAmx,
  setThreadCount,
  threadCount,
} from '../../src/native/index.js';
import { mulberry32, poisoned, randomF32 } from '../helpers/random.js';
import { gemmReference, maxScaledError } from '../helpers/reference.js';

const rounded = (a: Float32Array): Float32Array => bf16ToF32(f32ToBf16(a));

function check(transA: boolean, transB: boolean, m: number, n: number, k: number, seed: number, label: string): void {
  const rand = mulberry32(seed);
  const lda = (transA ? m : k) + 3;
  const ldb = (transB ? k : n) + 1;
  const ldc = n + 2;
  const a = randomF32((transA ? k : m) * lda, rand);
  const b = randomF32((transB ? n : k) * ldb, rand);
  const alpha = 0.75;
  const beta = seed % 2 ? 0 : -1.5;
  const cIn = beta === 0 ? poisoned(m * ldc) : randomF32(m * ldc, rand);
  const c = cIn.slice();
  gemmRoundedBf16({ transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc });
  const base = { transA, transB, m, n, k, lda, ldb, ldc };
  const want = gemmReference({ ...base, alpha, a: rounded(a), b: rounded(b), beta, c: cIn });
  const scale = gemmReference({
    ...base,
    alpha: Math.abs(alpha),
    a: a.map(Math.abs),
    b: b.map(Math.abs),
    beta: Math.abs(beta),
    c: cIn.map(Math.abs),
  });
  const got = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) got[i * n + j] = c[i * ldc + j];
  const e = maxScaledError(got, want, scale);
  assert.ok(e < 1e-5, `${label} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${k}: error ${e}`);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 33],
  [33, 48, 31],
  [70, 129, 65],
  [17, 300, 600],
  [33, 70, 2085], // more k than one AMX panel (2048)
];

test('gemmRoundedBf16 matches float64 on bf16-rounded operands, every form, AMX on and off', () => {
  const before = amxActive();
  try {
    for (const amx of [false, true]) {
      if (!setAmx(amx)) continue;
      let seed = 1;
      for (const [m, n, k] of SHAPES)
        for (const transA of [false, true])
          for (const transB of [false, true]) check(transA, transB, m, n, k, seed++, amx ? 'amx' : 'copies');
    }
  } finally {
    setAmx(before);
  }
});

test('gemmRoundedBf16: two threads reproduce one bit for bit', () => {
  const before = threadCount();
  const rand = mulberry32(8);
  const [m, n, k] = [96, 250, 700];
  const a = randomF32(k * m, rand);
  const b = randomF32(k * n, rand);
  try {
    const outs = [1, 2].map((t) => {
      setThreadCount(t);
      const c = new Float32Array(m * n);
      gemmRoundedBf16({ transA: true, m, n, k, a, b, c });
      return c;
    });
    assert.deepEqual(outs[1], outs[0]);
  } finally {
    setThreadCount(before);
  }
});
