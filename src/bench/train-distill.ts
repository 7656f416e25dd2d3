// The distillation row of `shorten bench train`: a KD step (the teacher's forward pass with no tape,
// the student's forward and backward, the KL, clipping, AdamW) against a plain CPT step of the same
// student, timed under the timing rule (interleaved rounds, the median of per-round ratios with its
// 95% interval), so the ratio holds however the machine's speed drifts.
import { performance } from 'node:perf_hooks';
import { AdamW, clipGradients, globalGradNorm } from '../heal/adamw.js';
import { distillObjective } from '../heal/distill-objective.js';
import { TeacherTargets } from '../heal/teacher-targets.js';
import { collate } from '../heal/train-loop.js';
import type { LlamaModel } from '../model/llama-forward.js';
import { llamaForward, nextTokenTargets, trainableParameters } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';
import { Tape } from '../tensor/tape.js';
import { median } from './kernels.js';
import { estimateRatio } from './paired-ratio.js';
import type { RatioEstimate } from './paired-ratio.js';
import { timedRounds } from './timed-rounds.js';

export interface DistillBenchRow {
  mode: 'kd';
  tokens_per_s: number;
  /** A KD step's time over a CPT step's, median of the paired rounds, with its 95% interval. */
  time_ratio_to_cpt: RatioEstimate;
  /** The CPT step of the same rounds, for reference. */
  cpt_tokens_per_s: number;
  teacher_layers: number;
  rounds: number;
}

export interface DistillBenchOptions {
  /** The student, every weight trainable (the full-parameter row's model, reused). */
  student: LlamaModel;
  /** The teacher, kept as stored, forward only. */
  teacher: ModelWeights;
  ids: Int32Array;
  batch: number;
  seqLen: number;
  budgetS: number;
  precision: number;
  maxRounds?: number;
}

/** Times KD and CPT steps of one student in interleaved rounds; tokens/s from the median step times. */
export function benchDistillStep(o: DistillBenchOptions): DistillBenchRow {
  const model = o.student;
  const params = trainableParameters(model);
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const teacher = new TeacherTargets(o.teacher, { temperature: 1 });
  const objective = distillObjective(teacher, { alpha: 1, temperature: 1 });
  const targets = nextTokenTargets(o.ids, o.batch, o.seqLen);
  const rows = Array.from({ length: o.batch }, (_, b) => ({
    ids: o.ids.subarray(b * o.seqLen, (b + 1) * o.seqLen),
    targets: targets.subarray(b * o.seqLen, (b + 1) * o.seqLen),
  }));
  const mb = collate(rows);
  const update = () => {
    clipGradients(params, globalGradNorm(params), 1);
    opt.update(1e-5);
    for (const p of params.values()) p.zeroGrad();
  };
  const cptStep = () => {
    const tape = new Tape();
    const r = llamaForward(model, o.ids, { batch: o.batch, seqLen: o.seqLen, targets, tape });
    tape.backward(r.loss!);
    update();
  };
  const kdStep = () => {
    const tape = new Tape();
    const r = objective.microBatchLoss(model, mb, { tape });
    tape.backward(r.loss);
    update();
  };
  // Warm-up: first touch of gradients, moments and the teacher's buffers.
  cptStep();
  kdStep();
  const steps = [cptStep, kdStep];
  const r = timedRounds({
    models: 2,
    measure: (k) => {
      const t0 = performance.now();
      steps[k]();
      return (performance.now() - t0) / 1000;
    },
    budgetS: o.budgetS,
    precision: o.precision,
    maxRounds: o.maxRounds,
  });
  const [cpt, kd] = r.times;
  const tokens = o.batch * o.seqLen;
  return {
    mode: 'kd',
    tokens_per_s: tokens / median(kd),
    time_ratio_to_cpt: estimateRatio(kd.map((t, i) => t / cpt[i])),
    cpt_tokens_per_s: tokens / median(cpt),
    teacher_layers: o.teacher.config.numLayers,
    rounds: kd.length,
  };
}
