// ShortGPT's block influence: 1 − cos(h_in, h_out) of each unit, averaged over every calibration
// token; for a sublayer, the states on either side of that sublayer.
import type { ModelWeights } from '../../model/weights.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { weightSource } from '../../model/block.js';
import { calibrationBatches, prefixStates } from '../calibration-batches.js';
import { presentUnits, unitScores } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';
import { requireCalibration } from './options.js';

/** Σ over rows of cos(a_row, b_row) for (N, C) states, in float64. */
export function cosineSum(a: Tensor, b: Tensor, C: number, rows?: Iterable<number>): number {
  const x = a.data;
  const y = b.data;
  let total = 0;
  const N = x.length / C;
  const list = rows ?? Array.from({ length: N }, (_, i) => i);
  for (const r of list) {
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let c = r * C; c < (r + 1) * C; c++) {
      dot += x[c] * y[c];
      nx += x[c] * x[c];
      ny += y[c] * y[c];
    }
    const den = Math.sqrt(nx) * Math.sqrt(ny);
    total += den > 0 ? Math.min(1, Math.max(-1, dot / den)) : 1;
  }
  return total;
}

export function blockInfluenceScores(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const set = requireCalibration(calib, 'bi');
  const src = weightSource(weights);
  const C = weights.config.hiddenSize;
  const only = opts.only ?? presentUnits(weights.config, opts.unit);
  const sums = new Float64Array(only.length);
  let tokens = 0;
  for (const b of calibrationBatches(weights.config, set, opts.batchSize)) {
    const { states, mids } = prefixStates(src, b, opts.unit !== 'block');
    only.forEach((i, j) => {
      const [from, to] =
        opts.unit === 'block'
          ? [states[i], states[i + 1]]
          : opts.unit === 'attn'
            ? [states[i], mids[i]]
            : [mids[i], states[i + 1]];
      sums[j] += cosineSum(from, to, C);
    });
    tokens += b.ids.length;
  }
  return unitScores(
    'bi',
    opts.unit,
    [...only],
    only.map((_, j) => 1 - sums[j] / tokens),
  );
}
