// Typed wrappers over the fused f32 model-op kernels (native/src/ops.h). Same argument order as
// the C++: outputs first, dimensions last; backward kernels accumulate into their gradient outputs.
import { binding } from './binding.js';

interface NativeOpsBinding {
  cachedAttentionForward(
    out: Float32Array,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    padding: Int32Array | null,
    B: number,
    S: number,
    Hq: number,
    Hkv: number,
    D: number,
    capacity: number,
    start: number,
  ): void;
  rmsnormForward(out: Float32Array, rstd: Float32Array, inp: Float32Array, weight: Float32Array, N: number, C: number, eps: number): void;
  rmsnormBackward(
    dinp: Float32Array | null,
    dweight: Float32Array | null,
    dout: Float32Array,
    inp: Float32Array,
    weight: Float32Array,
    rstd: Float32Array,
    N: number,
    C: number,
  ): void;
  ropeForward(out: Float32Array, inp: Float32Array, positions: Int32Array, N: number, H: number, D: number, invFreq: Float64Array, scale: number): void;
  ropeBackward(dinp: Float32Array, dout: Float32Array, positions: Int32Array, N: number, H: number, D: number, invFreq: Float64Array, scale: number): void;
  attentionForward(
    out: Float32Array,
    lse: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    B: number,
    T: number,
    Hq: number,
    Hkv: number,
    D: number,
  ): void;
  attentionBackward(
    dq: Float32Array | null,
    dk: Float32Array | null,
    dv: Float32Array | null,
    dout: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    keyPadding: Uint8Array | null,
    B: number,
    T: number,
    Hq: number,
    Hkv: number,
    D: number,
  ): void;
  siluGateForward(out: Float32Array, gate: Float32Array, up: Float32Array, N: number): void;
  addForward(out: Float32Array, a: Float32Array, b: Float32Array, N: number): void;
  adamwUpdate(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    N: number,
    decay: number,
    beta1: number,
    beta2: number,
    stepSize: number,
    sqrtBc2: number,
    eps: number,
  ): void;
  sumSquares(g: Float32Array, N: number): number;
  scaleInPlace(g: Float32Array, N: number, factor: number): void;
  addBackward(da: Float32Array | null, db: Float32Array | null, dout: Float32Array, N: number): void;
  salience(w: Float32Array | Uint16Array, type: 0 | 1 | 2, g: Float32Array, n: number): number;
  dropoutApply(out: Float32Array, x: Float32Array, N: number, p: number, seed: number, accumulate: boolean): void;
  fillNormal(out: Float32Array | Uint16Array, type: 0 | 1 | 2, N: number, seed: number, stream: number, mean: number, stddev: number): void;
  siluGateBackward(dgate: Float32Array | null, dup: Float32Array | null, dout: Float32Array, gate: Float32Array, up: Float32Array, N: number): void;
  crossEntropyForward(losses: Float32Array, lse: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number): void;
  crossEntropyBackward(
    dlogits: Float32Array,
    dlosses: Float32Array,
    logits: Float32Array,
    lse: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
  ): void;
  klDivForward(
    losses: Float32Array,
    lseS: Float32Array,
    lseT: Float32Array,
    student: Float32Array,
    teacher: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    invT: number,
  ): void;
  klDivBackward(
    dstudent: Float32Array,
    dlosses: Float32Array,
    student: Float32Array,
    lseS: Float32Array,
    teacher: Float32Array,
    lseT: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    invT: number,
  ): void;
  topKLogProbs(idx: Int32Array, logp: Float32Array, logRest: Float32Array, logits: Float32Array, N: number, V: number, K: number, invT: number): void;
  klTopKForward(
    losses: Float32Array,
    lseS: Float32Array,
    lseRestS: Float32Array,
    student: Float32Array,
    idx: Int32Array,
    logp: Float32Array,
    logRest: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    K: number,
    invT: number,
  ): void;
  klTopKBackward(
    dstudent: Float32Array,
    dlosses: Float32Array,
    student: Float32Array,
    lseS: Float32Array,
    lseRestS: Float32Array,
    idx: Int32Array,
    logp: Float32Array,
    logRest: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    K: number,
    invT: number,
  ): void;
}

// The ops are registered by InitOps in the same addon as the GEMM kernels.
const ops = binding as unknown as NativeOpsBinding;

/** out (N,C) = inp·rstd·weight; rstd (N) saved for backward. */
export function rmsnormForwardF32(out: Float32Array, rstd: Float32Array, inp: Float32Array, weight: Float32Array, N: number, C: number, eps: number): void {
  ops.rmsnormForward(out, rstd, inp, weight, N, C, eps);
}
export function rmsnormBackwardF32(
  dinp: Float32Array | null,
  dweight: Float32Array | null,
  dout: Float32Array,
  inp: Float32Array,
  weight: Float32Array,
  rstd: Float32Array,
  N: number,
  C: number,
): void {
  ops.rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
}

/** Half-split rotary embedding of (N,H,D) by per-token positions and D/2 inverse frequencies, times scale; out may be inp. */
export function ropeForwardF32(out: Float32Array, inp: Float32Array, positions: Int32Array, N: number, H: number, D: number, invFreq: Float64Array, scale: number): void {
  ops.ropeForward(out, inp, positions, N, H, D, invFreq, scale);
}
export function ropeBackwardF32(dinp: Float32Array, dout: Float32Array, positions: Int32Array, N: number, H: number, D: number, invFreq: Float64Array, scale: number): void {
  ops.ropeBackward(dinp, dout, positions, N, H, D, invFreq, scale);
}

/** Causal GQA attention: q/out (B,T,Hq,D), k/v (B,T,Hkv,D), lse (B,Hq,T); keyPadding (B,T) nonzero = padding. */
export function attentionForwardF32(
  out: Float32Array,
  lse: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  keyPadding: Uint8Array | null,
  B: number,
  T: number,
  Hq: number,
  Hkv: number,
  D: number,
): void {
  ops.attentionForward(out, lse, q, k, v, keyPadding, B, T, Hq, Hkv, D);
}
export function attentionBackwardF32(
  dq: Float32Array | null,
  dk: Float32Array | null,
  dv: Float32Array | null,
  dout: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  keyPadding: Uint8Array | null,
  B: number,
  T: number,
  Hq: number,
  Hkv: number,
  D: number,
): void {
  ops.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, keyPadding, B, T, Hq, Hkv, D);
}

/** AdamW on one parameter (decoupled decay, torch.optim.AdamW's order), double arithmetic per element. */
export function adamwUpdateF32(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  o: { decay: number; beta1: number; beta2: number; stepSize: number; sqrtBc2: number; eps: number },
): void {
  ops.adamwUpdate(w, g, m, v, w.length, o.decay, o.beta1, o.beta2, o.stepSize, o.sqrtBc2, o.eps);
}
/** Σ g² in double, in an order that does not depend on the thread count. */
export function sumSquaresF32(g: Float32Array): number {
  return ops.sumSquares(g, g.length);
}
/** g *= factor. */
export function scaleInPlaceF32(g: Float32Array, factor: number): void {
  ops.scaleInPlace(g, g.length, factor);
}

/** out (N) = a + b. */
export function addForwardF32(out: Float32Array, a: Float32Array, b: Float32Array, N: number): void {
  ops.addForward(out, a, b, N);
}
/** da += dout, db += dout (either may be null). */
/**
 * Σ |W ⊙ G| in float64 (the Taylor salience of one weight): W f32, or bf16/f16 bits read as stored;
 * the same value on any thread count.
 */
export function salience(w: Float32Array | Uint16Array, type: 'f32' | 'bf16' | 'f16', g: Float32Array): number {
  if (w.length !== g.length) throw new RangeError(`salience: ${w.length} weights but ${g.length} gradients`);
  if ((type === 'f32') !== w instanceof Float32Array)
    throw new TypeError(`salience: ${type} weights need a ${type === 'f32' ? 'Float32Array' : 'Uint16Array'}`);
  return ops.salience(w, type === 'f32' ? 0 : type === 'bf16' ? 1 : 2, g, g.length);
}

export function addBackwardF32(da: Float32Array | null, db: Float32Array | null, dout: Float32Array, N: number): void {
  ops.addBackward(da, db, dout, N);
}

/**
 * Inverted dropout with a counter-hash mask: out = keep(seed, i) ? x/(1-p) : 0 (accumulate: out +=),
 * so a backward with the same seed applies the same mask. keep is `dropoutKeeps` of lora-branch.ts.
 */
export function dropoutApplyF32(
  out: Float32Array,
  x: Float32Array,
  N: number,
  p: number,
  seed: number,
  accumulate: boolean,
): void {
  ops.dropoutApply(out, x, N, p, seed, accumulate);
}

/** out (N) = silu(gate)·up. */
export function siluGateForwardF32(out: Float32Array, gate: Float32Array, up: Float32Array, N: number): void {
  ops.siluGateForward(out, gate, up, N);
}
export function siluGateBackwardF32(dgate: Float32Array | null, dup: Float32Array | null, dout: Float32Array, gate: Float32Array, up: Float32Array, N: number): void {
  ops.siluGateBackward(dgate, dup, dout, gate, up, N);
}

/** losses (N) = lse - logit[target] (0 where target is -1); lse (N) saved for backward. */
export function crossEntropyForwardF32(losses: Float32Array, lse: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number): void {
  ops.crossEntropyForward(losses, lse, logits, targets, N, V);
}
export function crossEntropyBackwardF32(
  dlogits: Float32Array,
  dlosses: Float32Array,
  logits: Float32Array,
  lse: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
): void {
  ops.crossEntropyBackward(dlogits, dlosses, logits, lse, targets, N, V);
}

/** Forward KL(softmax(teacher/T) ‖ softmax(student/T)) per row (0 where target is -1); lseS, lseT saved. */
export function klDivForwardF32(
  losses: Float32Array,
  lseS: Float32Array,
  lseT: Float32Array,
  student: Float32Array,
  teacher: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
  invT: number,
): void {
  ops.klDivForward(losses, lseS, lseT, student, teacher, targets, N, V, invT);
}
/** dstudent += dlosses[n]·(q - p)/T for non-ignored rows. */
export function klDivBackwardF32(
  dstudent: Float32Array,
  dlosses: Float32Array,
  student: Float32Array,
  lseS: Float32Array,
  teacher: Float32Array,
  lseT: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
  invT: number,
): void {
  ops.klDivBackward(dstudent, dlosses, student, lseS, teacher, lseT, targets, N, V, invT);
}
/** Per row: the K largest logits' ids (largest first, ties to the lower id), their log-probabilities at T, and log of the rest's mass. */
export function topKLogProbsF32(idx: Int32Array, logp: Float32Array, logRest: Float32Array, logits: Float32Array, N: number, V: number, K: number, invT: number): void {
  ops.topKLogProbs(idx, logp, logRest, logits, N, V, K, invT);
}
/** Forward KL over the teacher's top-K tokens and one bucket for the rest; lseS and lseRestS saved. */
export function klTopKForwardF32(
  losses: Float32Array,
  lseS: Float32Array,
  lseRestS: Float32Array,
  student: Float32Array,
  idx: Int32Array,
  logp: Float32Array,
  logRest: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
  K: number,
  invT: number,
): void {
  ops.klTopKForward(losses, lseS, lseRestS, student, idx, logp, logRest, targets, N, V, K, invT);
}
export function klTopKBackwardF32(
  dstudent: Float32Array,
  dlosses: Float32Array,
  student: Float32Array,
  lseS: Float32Array,
  lseRestS: Float32Array,
  idx: Int32Array,
  logp: Float32Array,
  logRest: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
  K: number,
  invT: number,
): void {
  ops.klTopKBackward(dstudent, dlosses, student, lseS, lseRestS, idx, logp, logRest, targets, N, V, K, invT);
}

/**
 * Inference attention of S new queries per row against a KV cache laid out (B, Hkv, capacity, D)
 * that already holds positions [0, start + S); row b's first padding[b] positions are never attended.
 */
export function cachedAttentionForwardF32(
  out: Float32Array,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  padding: Int32Array | null,
  B: number,
  S: number,
  Hq: number,
  Hkv: number,
  D: number,
  capacity: number,
  start: number,
): void {
  ops.cachedAttentionForward(out, q, keys, values, padding, B, S, Hq, Hkv, D, capacity, start);
}

/**
 * out = mean + stddev·(standard normal) per element, seeded: element pair i comes from a splitmix64
 * hash of (seed, stream, i) through Box-Muller, so the values do not depend on the thread count. A
 * Uint16Array takes bf16 or f16 bits (`type`), rounded to nearest even. Seed and stream are 32-bit
 * unsigned integers.
 */
export function fillNormal(
  out: Float32Array | Uint16Array,
  type: 'f32' | 'bf16' | 'f16',
  seed: number,
  stream: number,
  mean: number,
  stddev: number,
): void {
  if ((type === 'f32') !== out instanceof Float32Array) {
    throw new TypeError(`fillNormal: a ${type} fill needs a ${type === 'f32' ? 'Float32Array' : 'Uint16Array'}`);
  }
  ops.fillNormal(out, type === 'f32' ? 0 : type === 'bf16' ? 1 : 2, out.length, seed, stream, mean, stddev);
}
