// The distillation loss of a micro-batch, as Minitron trains a pruned student:
//   loss = alpha · T² · KL(teacher ‖ student) + (1 − alpha) · CE,
// both terms means over the scored tokens (T² keeps the KL gradient's size independent of T, as
// Hinton et al. scale it). Both are logged per step (`kl`, `ce`); validation adds `val_kl` beside
// the validation cross-entropy that every method logs.
import type { LlamaModel } from '../model/llama-forward.js';
import { llamaForward } from '../model/llama-forward.js';
import { add } from '../tensor/ops/add.js';
import { klDivergence } from '../tensor/ops/kl-divergence.js';
import { scale } from '../tensor/ops/scale.js';
import type { Tape } from '../tensor/tape.js';
import type { TrainingExample } from '../text/packing.js';
import type { TeacherTargets } from './teacher-targets.js';
import { collate } from './train-loop.js';
import type { MicroBatch, ObjectiveLoss, StepRecord, TrainObjective } from './train-loop.js';

export interface DistillLossOptions {
  /** Weight of the KL term; 1 − alpha goes to cross-entropy on the data. */
  alpha: number;
  temperature: number;
}

function microBatchLoss(
  model: LlamaModel,
  teacher: TeacherTargets,
  o: DistillLossOptions,
  mb: MicroBatch,
  tape: Tape | undefined,
  loraDropout: (() => number) | undefined,
): ObjectiveLoss {
  const target = teacher.forMicroBatch(mb);
  const run = (): ObjectiveLoss => {
    const r = llamaForward(model, mb.ids, {
      batch: mb.batch,
      seqLen: mb.seqLen,
      paddingMask: mb.paddingMask,
      targets: mb.targets,
      keepLogits: true,
      tape,
      loraDropout,
    });
    const kl = klDivergence(r.logits!, target, mb.targets, o.temperature);
    const klWeight = o.alpha * o.temperature * o.temperature;
    const weighted = scale(kl.loss, klWeight);
    const loss = o.alpha < 1 ? add(weighted, scale(r.loss!, 1 - o.alpha)) : weighted;
    return {
      loss,
      lossSum: klWeight * kl.klSum + (1 - o.alpha) * r.nllSum!,
      nllSum: r.nllSum!,
      terms: { kl: kl.klSum },
    };
  };
  return tape ? tape.run(run) : run();
}

export function distillObjective(teacher: TeacherTargets, o: DistillLossOptions): TrainObjective {
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw new RangeError(`--alpha ${o.alpha} must lie in [0, 1]`);
  if (!(o.temperature > 0 && Number.isFinite(o.temperature)))
    throw new RangeError(`--temperature ${o.temperature} must be a positive number`);
  return {
    microBatchLoss: (model, mb, { tape, loraDropout }) =>
      microBatchLoss(model, teacher, o, mb, tape, loraDropout),
    validate(model: LlamaModel, rows: TrainingExample[], microBatch: number): Partial<StepRecord> {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < rows.length; i += microBatch) {
        const mb = collate(rows.slice(i, i + microBatch));
        if (mb.scored === 0) continue;
        const r = microBatchLoss(model, teacher, o, mb, undefined, undefined);
        sum += r.terms.kl;
        count += mb.scored;
      }
      return count > 0 ? { val_kl: sum / count } : {};
    },
  };
}
