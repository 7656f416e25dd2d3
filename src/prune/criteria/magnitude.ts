// Mag: the Taylor aggregation with |W| in place of |W ⊙ ∂L/∂W|; needs no calibration data.
import { freshF32 } from '../../tensor/weight-values.js';
import type { ModelWeights, WeightTensor } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { presentUnits, unitScores, unitWeightNames } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';

function absSum(w: WeightTensor): number {
  const v = freshF32(w);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
}

export function magnitudeScores(
  weights: ModelWeights,
  _calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const only = opts.only ?? presentUnits(weights.config, opts.unit);
  const scores = only.map((l) =>
    unitWeightNames(weights.config, l, opts.unit).reduce((s, n) => {
      const w = weights.tensors.get(n);
      return s + (w ? absSum(w) : 0);
    }, 0),
  );
  return unitScores('magnitude', opts.unit, [...only], scores);
}
