// Gromov et al.'s angular distance between the state entering block l and the state leaving block
// l+n−1: arccos(cos)/π, on the last token of each calibration window (or on every token), averaged.
// The run of n blocks with the smallest distance changes the representation least and goes first.
import type { ModelWeights } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { weightSource } from '../../model/block.js';
import { calibrationBatches, prefixStates } from '../calibration-batches.js';
import { unitScores } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';
import { requireCalibration } from './options.js';

export function angularScores(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const set = requireCalibration(calib, 'angular');
  if (opts.unit !== 'block')
    throw new Error(`criterion 'angular' ranks runs of whole blocks (got --unit ${opts.unit})`);
  const L = weights.config.numLayers;
  const n = opts.run ?? 1;
  if (!(Number.isInteger(n) && n >= 1 && n <= L))
    throw new Error(`angular: --run must be an integer in [1, ${L}] (got ${n})`);
  const C = weights.config.hiddenSize;
  const src = weightSource(weights);
  const starts = Array.from({ length: L - n + 1 }, (_, l) => l).filter(
    (l) => !opts.only || Array.from({ length: n }, (_, k) => l + k).every((b) => opts.only!.includes(b)),
  );
  const sums = new Float64Array(starts.length);
  let count = 0;
  for (const b of calibrationBatches(weights.config, set, opts.batchSize)) {
    const { states } = prefixStates(src, b);
    const { batch: B, seqLen: T } = b.shape;
    const rows: number[] = [];
    for (let r = 0; r < B; r++) {
      if (opts.allTokens) for (let t = 0; t < T; t++) rows.push(r * T + t);
      else rows.push(r * T + T - 1);
    }
    starts.forEach((l, j) => {
      const x = states[l].data;
      const y = states[l + n].data;
      for (const row of rows) {
        let dot = 0;
        let nx = 0;
        let ny = 0;
        for (let c = row * C; c < (row + 1) * C; c++) {
          dot += x[c] * y[c];
          nx += x[c] * x[c];
          ny += y[c] * y[c];
        }
        const cos = nx > 0 && ny > 0 ? Math.min(1, Math.max(-1, dot / Math.sqrt(nx * ny))) : 1;
        sums[j] += Math.acos(cos) / Math.PI;
      }
    });
    count += rows.length;
  }
  return unitScores(
    'angular',
    'block',
    starts,
    starts.map((_, j) => sums[j] / count),
    { run: n },
  );
}
