// The paper's PPL criterion: calibration perplexity with one unit removed, for each unit. The state
// entering block i does not depend on what is removed at or after i, so one forward keeps every
// prefix state and each removal runs only the rest of the model from there: about L/2 full passes
// for the whole sweep instead of L.
import type { ModelWeights } from '../../model/weights.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CalibrationSet } from '../../text/calibration.js';
import type { BlockWeightSource } from '../../model/block.js';
import { runBlock, runHead, weightSource } from '../../model/block.js';
import type { CalibrationBatch } from '../calibration-batches.js';
import { calibrationBatches, prefixStates } from '../calibration-batches.js';
import { presentUnits, unitScores } from '../units.js';
import type { PruneUnit, UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';
import { requireCalibration } from './options.js';

/** Runs blocks from..L-1 and the head; returns Σ NLL and the token count. */
function finish(src: BlockWeightSource, h: Tensor, from: number, b: CalibrationBatch): [number, number] {
  for (let l = from; l < src.config.numLayers; l++) h = runBlock(src, l, h, b.shape);
  const r = runHead(src, h, b.targets);
  return [r.nllSum, r.count];
}

function withoutUnit(
  src: BlockWeightSource,
  prefix: { states: Tensor[]; mids: Tensor[] },
  unit: PruneUnit,
  i: number,
  b: CalibrationBatch,
): [number, number] {
  if (unit === 'block') return finish(src, prefix.states[i], i + 1, b);
  if (unit === 'mlp') return finish(src, prefix.mids[i], i + 1, b);
  return finish(src, runBlock(src, i, prefix.states[i], b.shape, { skipAttention: true }), i + 1, b);
}

export function pplScores(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const set = requireCalibration(calib, 'ppl');
  const src = weightSource(weights);
  const only = opts.only ?? presentUnits(weights.config, opts.unit);
  const batches = calibrationBatches(weights.config, set, opts.batchSize);
  const nll = new Float64Array(only.length);
  const count = new Float64Array(only.length);
  let baseNll = 0;
  let baseCount = 0;
  batches.forEach((b, k) => {
    const prefix = prefixStates(src, b, opts.unit === 'mlp');
    const L = weights.config.numLayers;
    const base = runHead(src, prefix.states[L], b.targets);
    baseNll += base.nllSum;
    baseCount += base.count;
    only.forEach((i, j) => {
      const [s, n] = withoutUnit(src, prefix, opts.unit, i, b);
      nll[j] += s;
      count[j] += n;
      opts.onProgress?.(k * only.length + j + 1, batches.length * only.length);
    });
  });
  const scores = only.map((_, j) => Math.exp(nll[j] / count[j]));
  return unitScores('ppl', opts.unit, [...only], scores, { baselinePpl: Math.exp(baseNll / baseCount) });
}
