// SLEB-style iterative removal: score, remove the least important candidate, score what remains,
// repeat. Blocks keep their original numbers in the result; the order is the removal order.
import type { ModelWeights } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { removeUnits } from '../cut.js';
import { presentUnits } from '../units.js';
import type { UnitScores } from '../units.js';
import type { Criterion, CriterionOptions } from './options.js';

export function iterativeScores(
  criterion: Criterion,
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions & { candidates: readonly number[]; target: number },
): UnitScores {
  let current = weights;
  // original[k]: the original number of current block k.
  const original = Array.from({ length: weights.config.numLayers }, (_, i) => i);
  const steps: NonNullable<UnitScores['steps']> = [];
  let name = '';
  while (steps.length < opts.target) {
    const present = new Set(presentUnits(current.config, opts.unit));
    const only = original
      .map((o, k) => [o, k] as const)
      .filter(([o, k]) => opts.candidates.includes(o) && present.has(k))
      .map(([, k]) => k);
    if (only.length === 0) break;
    const s = criterion(current, calib, { ...opts, only });
    name = s.criterion;
    const pick = s.order[0];
    steps.push({ removed: original[pick], indices: s.indices.map((k) => original[k]), scores: s.scores });
    current = removeUnits(current, opts.unit, [pick]);
    if (opts.unit === 'block') original.splice(pick, 1);
    opts.onProgress?.(steps.length, opts.target);
  }
  const removed = steps.map((s) => s.removed);
  return {
    criterion: name,
    unit: opts.unit,
    indices: removed,
    scores: steps.map((s) => s.scores[s.indices.indexOf(s.removed)]),
    order: removed,
    steps,
  };
}
