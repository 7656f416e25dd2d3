// The criteria by name, all with one signature, and the dispatcher that adds --iterative.
import type { ModelWeights } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import type { UnitScores } from '../units.js';
import { angularScores } from './angular.js';
import { blockInfluenceScores } from './block-influence.js';
import { iterativeScores } from './iterative.js';
import { magnitudeScores } from './magnitude.js';
import type { Criterion, CriterionOptions } from './options.js';
import { pplScores } from './ppl.js';
import { taylorScores } from './taylor.js';

export const CRITERIA: Record<string, Criterion> = {
  taylor: taylorScores,
  magnitude: magnitudeScores,
  ppl: pplScores,
  bi: blockInfluenceScores,
  angular: angularScores,
};

/** Criteria that need calibration text. */
export const NEEDS_CALIBRATION = new Set(['taylor', 'ppl', 'bi', 'angular']);
export const ITERATIVE_CRITERIA = new Set(['ppl', 'bi']);

export interface ScoreRequest extends CriterionOptions {
  criterion: string;
  iterative?: { candidates: readonly number[]; target: number };
}

export function scoreUnits(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  req: ScoreRequest,
): UnitScores {
  const fn = CRITERIA[req.criterion];
  if (!fn)
    throw new RangeError(
      `unknown criterion '${req.criterion}' (expected ${Object.keys(CRITERIA).join(', ')})`,
    );
  if (req.iterative) {
    if (!ITERATIVE_CRITERIA.has(req.criterion))
      throw new RangeError(`--iterative applies to ppl and bi (got '${req.criterion}')`);
    return iterativeScores(fn, weights, calib, { ...req, ...req.iterative });
  }
  return fn(weights, calib, req);
}
