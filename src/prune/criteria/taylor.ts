// The paper's Taylor criterion: per weight s = W ⊙ ∂L/∂W (L the mean token cross-entropy of a
// calibration batch, gradients summed over batches with their sign), |s| summed over each of a
// block's nine weights, and the block's score the sum. Gradients are computed block by block: one
// no-grad forward keeps the state entering each block, then for the last block down to the first
// the block is recomputed on a tape from that state and run backward from the gradient leaving it.
// Only one block's weight gradients (and one block's activations) exist at a time, for the price of
// one extra forward; embedding, final norm and LM head get no gradient at all.
import { freshF32 } from '../../tensor/weight-values.js';
import { Tape } from '../../tensor/tape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Weight } from '../../tensor/tensor.js';
import type { ModelWeights, WeightTensor } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { runBlock, runHead, weightSource } from '../../model/block.js';
import { calibrationBatches, prefixStates } from '../calibration-batches.js';
import { presentUnits, unitScores, unitWeightNames } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';
import { requireCalibration } from './options.js';

/** A trainable f32 view of a stored weight: no copy when it is f32 already (it is only read). */
function trainable(w: WeightTensor): Tensor {
  return new Tensor(w.shape, freshF32(w), true);
}

/** Σ |W ⊙ G| in float64 (summing over the input dimension then the output one is the same sum). */
function salience(t: Tensor): number {
  const w = t.data;
  const g = t.grad;
  if (!g) return 0;
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.abs(w[i] * g[i]);
  return s;
}

export function taylorScores(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const set = requireCalibration(calib, 'taylor');
  const c = weights.config;
  const L = c.numLayers;
  const src = weightSource(weights);
  const batches = calibrationBatches(weights.config, set, opts.batchSize);
  const states = batches.map((b) => prefixStates(src, b).states);
  const total = L + 1;
  // dLoss/d(state leaving the last block), one per batch; each batch's loss is its own mean.
  let lossSum = 0;
  const dh = batches.map((b, k) => {
    const last = states[k].pop()!;
    const x = new Tensor(last.shape, last.data, true);
    const tape = new Tape();
    const r = tape.run(() => runHead(src, x, b.targets));
    lossSum += r.loss.data[0];
    tape.backward(r.loss);
    return x.grad!;
  });
  opts.onProgress?.(1, total);
  const perWeight = new Map<string, number>();
  for (let l = L - 1; l >= 0; l--) {
    const params = new Map<string, Weight>();
    for (const name of unitWeightNames(c, l, 'block')) {
      const w = weights.tensors.get(name);
      if (w) params.set(name, trainable(w));
    }
    const blockSrc = weightSource(weights, params);
    batches.forEach((b, k) => {
      const input = states[k].pop()!;
      const x = new Tensor(input.shape, input.data, true);
      const tape = new Tape();
      const y = tape.run(() => runBlock(blockSrc, l, x, b.shape));
      if (y === x) {
        // Both sublayers pruned: the block is the identity and passes the gradient through.
        return;
      }
      tape.backward(y, dh[k]);
      dh[k] = x.grad!;
    });
    for (const [name, t] of params) perWeight.set(name, salience(t as Tensor));
    opts.onProgress?.(L - l + 1, total);
  }
  const only = opts.only ?? presentUnits(c, opts.unit);
  const scores = only.map((l) =>
    unitWeightNames(weights.config, l, opts.unit).reduce((s, n) => s + (perWeight.get(n) ?? 0), 0),
  );
  return unitScores('taylor', opts.unit, [...only], scores, { loss: lossSum / batches.length });
}
