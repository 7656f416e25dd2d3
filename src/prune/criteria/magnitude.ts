// Mag: the Taylor aggregation with |W| in place of |W ⊙ ∂L/∂W|; needs no calibration data.
import { bf16ToF32, f16ToF32 } from '../../native/index.js';
import type { ModelWeights, WeightTensor } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { presentUnits, unitScores, unitWeightNames } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';

function absSum(w: WeightTensor): number {
  const v =
    w.dtype === 'f32'
      ? (w.data as Float32Array)
      : w.dtype === 'bf16'
        ? bf16ToF32(w.data as Uint16Array)
        : f16ToF32(w.data as Uint16Array);
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
