// Every native f32 op kernel against the float64 TypeScript kernel on random data of odd sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addBackward, addForward } from '../../src/tensor/ops/add.js';
import { attentionBackward, attentionForward } from '../../src/tensor/ops/attention.js';
import { crossEntropyBackward, crossEntropyForward } from '../../src/tensor/ops/cross-entropy.js';
import { rmsnormBackward, rmsnormForward } from '../../src/tensor/ops/rmsnorm.js';
import { ropeBackward, ropeForward } from '../../src/tensor/ops/rope.js';
import { rotaryTable } from '../../src/model/rotary.js';
import { siluGateBackward, siluGateForward } from '../../src/tensor/ops/silu-gate.js';
import { attentionForwardF32, dropoutApplyF32, rmsnormForwardF32 } from '../../src/native/ops.js';
import { dropoutKeeps } from '../../src/tensor/ops/lora-branch.js';
import { activeIsa, availableIsas, setIsa } from '../../src/native/index.js';
import { mulberry32 } from '../helpers/random.js';

function random64(n: number, rand: () => number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

/** Largest |got - want| relative to the largest |want| (elementwise relative error is meaningless near zero). */
function assertClose(got: Float32Array, want: Float64Array, what: string, tolerance = 2e-5): void {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (const w of want) if (Number.isFinite(w)) scale = Math.max(scale, Math.abs(w));
  for (let i = 0; i < want.length; i++) {
    if (want[i] === -Infinity) {
      assert.equal(got[i], -Infinity, `${what}[${i}]`);
      continue;
    }
    const err = Math.abs(got[i] - want[i]) / Math.max(scale, 1e-30);
    assert.ok(
      err <= tolerance,
      `${what}[${i}]: native ${got[i]} vs reference ${want[i]} (scaled error ${err})`,
    );
  }
}

const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);

/** Runs a check on every instruction-set path this CPU has (the exp and GEMM paths differ). */
function onEveryIsa(check: () => void): void {
  const before = activeIsa();
  try {
    for (const isa of availableIsas()) {
      assert.equal(setIsa(isa), true);
      check();
    }
  } finally {
    setIsa(before);
  }
}
// Starting gradients nonzero checks that the kernels accumulate rather than overwrite.
const seedGrad = (n: number, rand: () => number): Float64Array => random64(n, rand, 0.5);

test('native rmsnorm forward/backward equals the f64 reference', () => {
  const rand = mulberry32(21);
  const [N, C] = [13, 37];
  const inp = random64(N * C, rand),
    w = random64(C, rand),
    dout = random64(N * C, rand);
  const out64 = new Float64Array(N * C),
    rstd64 = new Float64Array(N);
  rmsnormForward(out64, rstd64, inp, w, N, C, 1e-5);
  const out32 = new Float32Array(N * C),
    rstd32 = new Float32Array(N);
  rmsnormForward(out32, rstd32, f32(inp), f32(w), N, C, 1e-5);
  assertClose(out32, out64, 'out');
  assertClose(rstd32, rstd64, 'rstd');
  const dinp64 = seedGrad(N * C, rand),
    dw64 = seedGrad(C, rand);
  const dinp32 = f32(dinp64),
    dw32 = f32(dw64);
  rmsnormBackward(dinp64, dw64, dout, inp, w, rstd64, N, C);
  rmsnormBackward(dinp32, dw32, f32(dout), f32(inp), f32(w), rstd32, N, C);
  assertClose(dinp32, dinp64, 'dinp');
  assertClose(dw32, dw64, 'dweight');
});

test('native rope forward/backward equals the f64 reference (plain and scaled tables)', () => {
  const rand = mulberry32(22);
  const [N, H, D] = [11, 3, 10];
  const positions = new Int32Array(N).map((_, i) => i * 37 + 3);
  const plain = rotaryTable({
    headDim: D,
    ropeTheta: 10000,
    maxSeqLen: 64,
    ropeScaling: null,
    ropeFreqFactors: null,
  });
  // An arbitrary table with YaRN-like scale: the kernel must take frequencies and scale as given.
  const scaled = { invFreq: Float64Array.from({ length: D / 2 }, () => rand() * 0.9), scale: 1.2345 };
  for (const table of [plain, scaled]) {
    const inp = random64(N * H * D, rand);
    const out64 = new Float64Array(N * H * D),
      out32 = new Float32Array(N * H * D);
    ropeForward(out64, inp, positions, N, H, D, table);
    ropeForward(out32, f32(inp), positions, N, H, D, table);
    assertClose(out32, out64, 'out');
    const d64 = seedGrad(N * H * D, rand),
      d32 = f32(d64);
    ropeBackward(d64, inp, positions, N, H, D, table);
    ropeBackward(d32, f32(inp), positions, N, H, D, table);
    assertClose(d32, d64, 'dinp');
  }
});

test('native siluGate forward/backward equals the f64 reference on every ISA path', () =>
  onEveryIsa(checkSiluGate));

function checkSiluGate(): void {
  const rand = mulberry32(23);
  const N = 1001;
  const g = random64(N, rand, 6),
    u = random64(N, rand),
    dout = random64(N, rand);
  const o64 = new Float64Array(N),
    o32 = new Float32Array(N);
  siluGateForward(o64, g, u, N);
  siluGateForward(o32, f32(g), f32(u), N);
  assertClose(o32, o64, 'out');
  const dg64 = seedGrad(N, rand),
    du64 = seedGrad(N, rand);
  const dg32 = f32(dg64),
    du32 = f32(du64);
  siluGateBackward(dg64, du64, dout, g, u, N);
  siluGateBackward(dg32, du32, f32(dout), f32(g), f32(u), N);
  assertClose(dg32, dg64, 'dgate');
  assertClose(du32, du64, 'dup');
}

test('native residual add forward/backward equals the f64 reference', () => {
  const rand = mulberry32(37);
  const N = 5003; // above the size where add switches to the native kernel
  const a = random64(N, rand),
    b = random64(N, rand),
    dout = random64(N, rand);
  const o64 = new Float64Array(N),
    o32 = new Float32Array(N).fill(NaN);
  addForward(o64, a, b, N);
  addForward(o32, f32(a), f32(b), N);
  assertClose(o32, o64, 'out', 1e-7);
  const da64 = seedGrad(N, rand),
    db64 = seedGrad(N, rand);
  const da32 = f32(da64),
    db32 = f32(db64);
  addBackward(da64, db64, dout, N);
  addBackward(da32, db32, f32(dout), N);
  assertClose(da32, da64, 'da', 1e-7);
  assertClose(db32, db64, 'db', 1e-7);
  const only = f32(da64);
  addBackward(only, null, f32(dout), N); // one input without a gradient
  assertClose(
    only,
    da64.map((v, i) => v + dout[i]),
    'da alone',
    1e-7,
  );
});

test('native dropout applies the counter-hash mask of the TypeScript reference on every ISA path', () =>
  onEveryIsa(() => {
    const rand = mulberry32(31);
    const N = 1003;
    const x = f32(random64(N, rand));
    const base = f32(random64(N, rand));
    for (const [p, seed] of [
      [0.05, 123456789],
      [0.5, 0xffffffff],
      [0, 7],
    ]) {
      const keep = dropoutKeeps(N, p, seed);
      const want = new Float64Array(N);
      for (let i = 0; i < N; i++) want[i] = keep[i] ? x[i] / (1 - p) : 0;
      const out = new Float32Array(N).fill(NaN);
      dropoutApplyF32(out, x, N, p, seed, false);
      assertClose(out, want, `dropout p=${p}`, 1e-6);
      const acc = base.slice();
      dropoutApplyF32(acc, x, N, p, seed, true);
      assertClose(
        acc,
        want.map((w, i) => w + base[i]),
        `dropout accumulate p=${p}`,
        1e-6,
      );
      if (p > 0) assert.ok(keep.includes(0) && keep.includes(1));
    }
  }));

test('native crossEntropy forward/backward equals the f64 reference', () => {
  const rand = mulberry32(24);
  const [N, V] = [9, 301];
  const logits = random64(N * V, rand, 8);
  const targets = new Int32Array([5, -1, 300, 0, 17, -1, 42, 299, 1]);
  const l64 = new Float64Array(N),
    lse64 = new Float64Array(N),
    l32 = new Float32Array(N),
    lse32 = new Float32Array(N);
  crossEntropyForward(l64, lse64, logits, targets, N, V);
  crossEntropyForward(l32, lse32, f32(logits), targets, N, V);
  assertClose(l32, l64, 'losses');
  assertClose(lse32, lse64, 'lse');
  const dl = random64(N, rand);
  const dz64 = seedGrad(N * V, rand),
    dz32 = f32(dz64);
  crossEntropyBackward(dz64, dl, logits, lse64, targets, N, V);
  crossEntropyBackward(dz32, f32(dl), f32(logits), lse32, targets, N, V);
  assertClose(dz32, dz64, 'dlogits');
});

test('native crossEntropy over a 32003-wide vocabulary row matches float64 to 1e-6 on every path', () => {
  const rand = mulberry32(25);
  const [N, V] = [3, 32003];
  const logits = random64(N * V, rand, 12);
  const targets = new Int32Array([7, 32002, 16000]);
  const l64 = new Float64Array(N),
    lse64 = new Float64Array(N);
  crossEntropyForward(l64, lse64, logits, targets, N, V);
  const before = activeIsa();
  try {
    for (const isa of availableIsas()) {
      assert.equal(setIsa(isa), true);
      const l32 = new Float32Array(N),
        lse32 = new Float32Array(N);
      crossEntropyForward(l32, lse32, f32(logits), targets, N, V);
      for (let n = 0; n < N; n++)
        assert.ok(
          Math.abs(lse32[n] - lse64[n]) <= 1e-6 * Math.abs(lse64[n]) + 2e-6,
          `${isa} lse[${n}]: ${lse32[n]} vs ${lse64[n]}`,
        );
      const dz = new Float32Array(N * V);
      crossEntropyBackward(dz, new Float32Array([1, 1, 1]), f32(logits), lse32, targets, N, V);
      // Each row of softmax - onehot sums to 0.
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let v = 0; v < V; v++) sum += dz[n * V + v];
        assert.ok(Math.abs(sum) < 1e-5, `${isa} row ${n} gradient sums to ${sum}`);
      }
    }
  } finally {
    setIsa(before);
  }
});

function checkAttention(B: number, T: number, Hq: number, Hkv: number, D: number, seed: number): void {
  const rand = mulberry32(seed);
  const q = random64(B * T * Hq * D, rand),
    k = random64(B * T * Hkv * D, rand),
    v = random64(B * T * Hkv * D, rand);
  const dout = random64(B * T * Hq * D, rand);
  const pad = new Uint8Array(B * T);
  for (let t = 0; t < 4; t++) pad[t] = 1; // batch 0: left padding, its first queries see nothing
  for (let t = 9; t < T; t++) pad[T + t] = 1; // batch 1: right padding; batch 2: none
  for (const mask of [pad, null]) {
    const o64 = new Float64Array(q.length),
      lse64 = new Float64Array(B * Hq * T);
    const o32 = new Float32Array(q.length),
      lse32 = new Float32Array(B * Hq * T);
    attentionForward(o64, lse64, q, k, v, mask, B, T, Hq, Hkv, D);
    attentionForward(o32, lse32, f32(q), f32(k), f32(v), mask, B, T, Hq, Hkv, D);
    assertClose(o32, o64, 'out');
    assertClose(lse32, lse64, 'lse');
    const dq64 = seedGrad(q.length, rand),
      dk64 = seedGrad(k.length, rand),
      dv64 = seedGrad(v.length, rand);
    const dq32 = f32(dq64),
      dk32 = f32(dk64),
      dv32 = f32(dv64);
    attentionBackward(dq64, dk64, dv64, dout, q, k, v, o64, lse64, mask, B, T, Hq, Hkv, D);
    attentionBackward(
      dq32,
      dk32,
      dv32,
      f32(dout),
      f32(q),
      f32(k),
      f32(v),
      o32,
      lse32,
      mask,
      B,
      T,
      Hq,
      Hkv,
      D,
    );
    assertClose(dq32, dq64, 'dq');
    assertClose(dk32, dk64, 'dk');
    assertClose(dv32, dv64, 'dv');
  }
}

test('native attention forward/backward (GQA, padding, fully masked rows) equals the f64 reference', () =>
  onEveryIsa(() => checkAttention(3, 13, 6, 2, 9, 25)));

test('native attention spanning several query blocks equals the f64 reference', () =>
  onEveryIsa(() => checkAttention(2, 131, 4, 2, 5, 26)));

test('native ops reject wrong argument types and short arrays, naming function and argument', () => {
  const a = new Float32Array(4);
  assert.throws(
    () => rmsnormForwardF32(a, a, a, a, 2, 3, 1e-5),
    (e: Error) => e instanceof RangeError && /rmsnormForward: argument 0 \(out\)/.test(e.message),
  );
  assert.throws(
    () => attentionForwardF32(a, a, a, a, a, null, 1, 1, 3, 2, 1),
    (e: Error) => e instanceof RangeError && /attentionForward: argument 9 \(Hkv\)/.test(e.message),
  );
});
