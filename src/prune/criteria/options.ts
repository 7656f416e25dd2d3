// The one signature every criterion has: a model, the calibration windows (unused by magnitude) and
// these options, returning UnitScores.
import type { ModelWeights } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import type { PruneUnit, UnitScores } from '../units.js';

export interface CriterionOptions {
  unit: PruneUnit;
  /** Score only these blocks (the others get no entry); default every block whose unit is present. */
  only?: readonly number[];
  /** Calibration windows per forward/backward batch (default: all windows in one batch). */
  batchSize?: number;
  /** angular: blocks per run. */
  run?: number;
  /** angular: compare every token, not only the last of each window. */
  allTokens?: boolean;
  /** Progress, for a terminal: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export type Criterion = (
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
) => UnitScores;

export function requireCalibration(calib: CalibrationSet | null, criterion: string): CalibrationSet {
  if (!calib) throw new Error(`criterion '${criterion}' needs calibration text (--calib FILE)`);
  return calib;
}
