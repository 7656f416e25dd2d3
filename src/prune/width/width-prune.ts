// Width pruning, the paper's baseline: the same parameter budget as depth pruning at the same
// --remove, taken as whole KV groups and MLP channels, the same counts in every block, ranked
// per block by magnitude or Wanda-style activation-aware scores.
import { parameterCount } from '../cut.js';
import type { ModelWeights } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { blockInputNorms } from './activation-norms.js';
import { planWidth } from './budget.js';
import type { WidthPlan } from './budget.js';
import { cutWidth } from './cut-width.js';
import { topIndices, widthScores } from './scores.js';

export type WidthScoreKind = 'magnitude' | 'wanda';

export interface WidthPruneResult {
  weights: ModelWeights;
  plan: WidthPlan;
  kvGroupsKept: number[][];
  channelsKept: number[][];
  parameters: number;
}

/** Removes `blocks` blocks' worth of parameters as width; wanda needs calibration windows. */
export function widthPrune(
  weights: ModelWeights,
  blocks: number,
  score: WidthScoreKind,
  calib: CalibrationSet | null,
): WidthPruneResult {
  const plan = planWidth(weights.config, blocks, parameterCount(weights));
  if (score === 'wanda' && !calib) throw new RangeError('wanda scores need calibration text');
  const norms = score === 'wanda' && calib ? blockInputNorms(weights, calib) : null;
  const scores = widthScores(weights, norms);
  const kvGroupsKept = scores.kvGroups.map((s) => topIndices(s, plan.kvGroupsKept));
  const channelsKept = scores.channels.map((s) => topIndices(s, plan.channelsKept));
  const pruned = cutWidth(weights, kvGroupsKept, channelsKept);
  return { weights: pruned, plan, kvGroupsKept, channelsKept, parameters: parameterCount(pruned) };
}
