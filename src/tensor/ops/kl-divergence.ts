// Forward KL(teacher ‖ student) of next-token distributions, the distillation loss, beside
// cross-entropy. With temperature T, p = softmax(teacher logits / T) and q = softmax(student / T):
//   full vocabulary:  KL = Σ_v p_v (log p_v − log q_v),  ∂KL/∂student_v = (q_v − p_v) / T;
//   top-K:            the teacher keeps, per token, its K most likely tokens I (their log p_k) and
//                     the mass of all others as one bucket, p_rest = Σ_{v∉I} p_v. The student's
//                     distribution is folded onto the same K + 1 outcomes, q_rest = Σ_{v∉I} q_v, and
//                     KL = Σ_{k∈I} p_k (log p_k − log q_k) + p_rest (log p_rest − log q_rest),
//                     ∂KL/∂student_v = (q_v − p_v) / T inside I, q_v (1 − p_rest / q_rest) / T outside.
// With K = V the two are the same. Rows whose target is -1 (padding, masked prompts) are ignored,
// as in cross-entropy; the loss is the mean over the rest (the caller multiplies by T²).
import {
  klDivBackwardF32,
  klDivForwardF32,
  klTopKBackwardF32,
  klTopKForwardF32,
  topKLogProbsF32,
} from '../../native/ops.js';
import { scoredTargets } from './cross-entropy.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor, allocFloat } from '../tensor.js';

/** log Σ exp(z[o + v]/T) over v < V, in float64. */
function rowLse(z: FloatArray, o: number, V: number, invT: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, z[o + v] * invT);
  if (max === -Infinity) return max;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(z[o + v] * invT - max);
  return max + Math.log(sum);
}

const allF32 = (...a: FloatArray[]): boolean => a.every((x) => x instanceof Float32Array);

/** losses (N) = KL(p ‖ q) per row (0 for ignored rows); lseS, lseT (N) saved; logits (N,V). */
export function klDivForward(
  losses: FloatArray,
  lseS: FloatArray,
  lseT: FloatArray,
  student: FloatArray,
  teacher: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  invT: number,
): void {
  if (allF32(losses, lseS, lseT, student, teacher))
    return klDivForwardF32(
      losses as Float32Array,
      lseS as Float32Array,
      lseT as Float32Array,
      student as Float32Array,
      teacher as Float32Array,
      targets,
      N,
      V,
      invT,
    );
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const ls = rowLse(student, o, V, invT);
    const lt = rowLse(teacher, o, V, invT);
    lseS[n] = ls;
    lseT[n] = lt;
    if (targets[n] < 0) {
      losses[n] = 0;
      continue;
    }
    let kl = 0;
    for (let v = 0; v < V; v++) {
      const lp = teacher[o + v] * invT - lt;
      const p = Math.exp(lp);
      if (p > 0) kl += p * (lp - (student[o + v] * invT - ls));
    }
    losses[n] = kl;
  }
}

/** dstudent (N,V) += dlosses[n]·(q − p)/T over non-ignored rows. */
export function klDivBackward(
  dstudent: FloatArray,
  dlosses: FloatArray,
  student: FloatArray,
  lseS: FloatArray,
  teacher: FloatArray,
  lseT: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  invT: number,
): void {
  if (allF32(dstudent, dlosses, student, lseS, teacher, lseT))
    return klDivBackwardF32(
      dstudent as Float32Array,
      dlosses as Float32Array,
      student as Float32Array,
      lseS as Float32Array,
      teacher as Float32Array,
      lseT as Float32Array,
      targets,
      N,
      V,
      invT,
    );
  for (let n = 0; n < N; n++) {
    if (targets[n] < 0 || dlosses[n] === 0) continue;
    const o = n * V;
    const g = dlosses[n] * invT;
    for (let v = 0; v < V; v++)
      dstudent[o + v] +=
        g * (Math.exp(student[o + v] * invT - lseS[n]) - Math.exp(teacher[o + v] * invT - lseT[n]));
  }
}

/** The teacher's top-K tokens per row: ids (N,K) largest first (ties: lower id first), their log p, and log p_rest (N). */
export function topKLogProbs(
  idx: Int32Array,
  logp: FloatArray,
  logRest: FloatArray,
  logits: FloatArray,
  N: number,
  V: number,
  K: number,
  invT: number,
): void {
  if (!(K >= 1 && K <= V)) throw new RangeError(`topKLogProbs: K ${K} must lie in [1, ${V}]`);
  if (allF32(logp, logRest, logits))
    return topKLogProbsF32(
      idx,
      logp as Float32Array,
      logRest as Float32Array,
      logits as Float32Array,
      N,
      V,
      K,
      invT,
    );
  const order = new Int32Array(V);
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const key = (v: number) => (Number.isNaN(logits[o + v]) ? -Infinity : logits[o + v]);
    for (let v = 0; v < V; v++) order[v] = v;
    order.sort((a, b) => key(b) - key(a) || a - b);
    const lse = rowLse(logits, o, V, invT);
    for (let k = 0; k < K; k++) {
      idx[n * K + k] = order[k];
      logp[n * K + k] = logits[o + order[k]] * invT - lse;
    }
    let rest = 0;
    for (let j = K; j < V; j++) rest += Math.exp(logits[o + order[j]] * invT - lse);
    logRest[n] = Math.log(rest);
  }
}

/** Marks row n's top-K tokens in `inTop` (V entries) with k + 1, others 0. */
function markTop(inTop: Int32Array, idx: Int32Array, n: number, K: number): void {
  inTop.fill(0);
  for (let k = 0; k < K; k++) inTop[idx[n * K + k]] = k + 1;
}

/** losses (N) = KL over the K + 1 outcomes; lseS and lseRestS (the student's logsumexp over the rest) saved. */
export function klTopKForward(
  losses: FloatArray,
  lseS: FloatArray,
  lseRestS: FloatArray,
  student: FloatArray,
  idx: Int32Array,
  logp: FloatArray,
  logRest: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  K: number,
  invT: number,
): void {
  if (allF32(losses, lseS, lseRestS, student, logp, logRest))
    return klTopKForwardF32(
      losses as Float32Array,
      lseS as Float32Array,
      lseRestS as Float32Array,
      student as Float32Array,
      idx,
      logp as Float32Array,
      logRest as Float32Array,
      targets,
      N,
      V,
      K,
      invT,
    );
  const inTop = new Int32Array(V);
  for (let n = 0; n < N; n++) {
    const o = n * V;
    markTop(inTop, idx, n, K);
    const ls = rowLse(student, o, V, invT);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (!inTop[v]) max = Math.max(max, student[o + v] * invT);
    let lr = -Infinity;
    if (max !== -Infinity) {
      let sum = 0;
      for (let v = 0; v < V; v++) if (!inTop[v]) sum += Math.exp(student[o + v] * invT - max);
      lr = max + Math.log(sum);
    }
    lseS[n] = ls;
    lseRestS[n] = lr;
    if (targets[n] < 0) {
      losses[n] = 0;
      continue;
    }
    let kl = 0;
    for (let k = 0; k < K; k++) {
      const lp = logp[n * K + k];
      const p = Math.exp(lp);
      if (p > 0) kl += p * (lp - (student[o + idx[n * K + k]] * invT - ls));
    }
    const pr = Math.exp(logRest[n]);
    if (pr > 0) kl += pr * (logRest[n] - (lr - ls));
    losses[n] = kl;
  }
}

/** dstudent (N,V) += dlosses[n]/T · (q_v − p_v) inside the top-K, q_v (1 − p_rest/q_rest) outside. */
export function klTopKBackward(
  dstudent: FloatArray,
  dlosses: FloatArray,
  student: FloatArray,
  lseS: FloatArray,
  lseRestS: FloatArray,
  idx: Int32Array,
  logp: FloatArray,
  logRest: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  K: number,
  invT: number,
): void {
  if (allF32(dstudent, dlosses, student, lseS, lseRestS, logp, logRest))
    return klTopKBackwardF32(
      dstudent as Float32Array,
      dlosses as Float32Array,
      student as Float32Array,
      lseS as Float32Array,
      lseRestS as Float32Array,
      idx,
      logp as Float32Array,
      logRest as Float32Array,
      targets,
      N,
      V,
      K,
      invT,
    );
  const inTop = new Int32Array(V);
  for (let n = 0; n < N; n++) {
    if (targets[n] < 0 || dlosses[n] === 0) continue;
    const o = n * V;
    markTop(inTop, idx, n, K);
    const g = dlosses[n] * invT;
    const pr = Math.exp(logRest[n]);
    for (let v = 0; v < V; v++) {
      const s = student[o + v] * invT;
      const q = Math.exp(s - lseS[n]);
      const k = inTop[v] - 1;
      dstudent[o + v] +=
        g * (k >= 0 ? q - Math.exp(logp[n * K + k]) : pr > 0 ? q - pr * Math.exp(s - lseRestS[n]) : q);
    }
  }
}

/** What the teacher says about each position: its full logits, or its top-K log-probabilities and the rest. */
export type TeacherTarget =
  | { kind: 'full'; logits: FloatArray }
  | { kind: 'top-k'; k: number; idx: Int32Array; logp: FloatArray; logRest: FloatArray };

export interface KlResult {
  /** Scalar mean KL over non-ignored positions (0 when all are ignored); differentiable in the student's logits. */
  loss: Tensor;
  /** Σ KL over non-ignored positions, accumulated in float64. */
  klSum: number;
  count: number;
}

function checkTargets(targets: Int32Array, N: number, V: number): number {
  return scoredTargets('klDivergence', targets, N, V);
}

/**
 * KL(teacher ‖ student) of student logits [N, V] at temperature T, over the rows whose target is not -1
 * (targets only mark which rows count). The teacher's arrays must be of the student's float type.
 */
export function klDivergence(
  student: Tensor,
  teacher: TeacherTarget,
  targets: Int32Array,
  temperature: number,
): KlResult {
  const V = student.shape[student.shape.length - 1];
  const N = student.size / V;
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new RangeError(`klDivergence: temperature ${temperature} must be a positive number`);
  const count = checkTargets(targets, N, V);
  const invT = 1 / temperature;
  const kind = student.kind;
  const losses = allocFloat(kind, N);
  const lseS = allocFloat(kind, N);
  const saved = allocFloat(kind, N); // lseT (full) or lseRestS (top-K)
  if (teacher.kind === 'full') {
    if (teacher.logits.length !== N * V)
      throw new RangeError(
        `klDivergence: teacher logits hold ${teacher.logits.length} values, expected ${N * V}`,
      );
    klDivForward(losses, lseS, saved, student.data, teacher.logits, targets, N, V, invT);
  } else {
    const K = teacher.k;
    if (!(K >= 1 && K <= V)) throw new RangeError(`klDivergence: top-K ${K} must lie in [1, ${V}]`);
    if (teacher.idx.length !== N * K || teacher.logp.length !== N * K || teacher.logRest.length !== N)
      throw new RangeError(`klDivergence: teacher top-${K} arrays do not match ${N} rows`);
    klTopKForward(
      losses,
      lseS,
      saved,
      student.data,
      teacher.idx,
      teacher.logp,
      teacher.logRest,
      targets,
      N,
      V,
      K,
      invT,
    );
  }
  let klSum = 0;
  for (let n = 0; n < N; n++) klSum += losses[n];
  const loss = new Tensor([1], allocFloat(kind, 1));
  loss.data[0] = count > 0 ? klSum / count : 0;
  const tape = recordingTape(student);
  if (tape && count > 0) {
    loss.requiresGrad = true;
    tape.record(() => {
      if (!loss.grad) return;
      const dlosses = allocFloat(kind, N);
      for (let n = 0; n < N; n++) dlosses[n] = targets[n] >= 0 ? loss.grad[0] / count : 0;
      if (teacher.kind === 'full')
        klDivBackward(
          student.ensureGrad(),
          dlosses,
          student.data,
          lseS,
          teacher.logits,
          saved,
          targets,
          N,
          V,
          invT,
        );
      else
        klTopKBackward(
          student.ensureGrad(),
          dlosses,
          student.data,
          lseS,
          saved,
          teacher.idx,
          teacher.logp,
          teacher.logRest,
          targets,
          N,
          V,
          teacher.k,
          invT,
        );
    }, loss);
  }
  return { loss, klSum, count };
}
