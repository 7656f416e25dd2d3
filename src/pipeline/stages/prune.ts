// Stage 2, prune: the chosen criterion's least important candidate blocks (first and last blocks
// protected) are removed, and the shorter model is written as an HF folder with its prune.json.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parameterCount } from '../../prune/cut.js';
import { cutModel, pruneRecord, writePrunedModel } from '../../prune/depth-prune.js';
import { candidateBlocks, chooseRemoval, parseRemoveTarget } from '../../prune/plan.js';
import type { PruneResult, ScoreResult } from '../../report/results.js';
import { readStageResult, stageDir } from '../run-results.js';
import type { RunContext } from './context.js';
import { insideRun } from './context.js';

export const PRUNED_MODEL = 'model';

export function pruneStage(ctx: RunContext): PruneResult {
  const t0 = performance.now();
  const c = ctx.config;
  const score = readStageResult<ScoreResult>(ctx.dir, 'score');
  const scores = score.scores.find((s) => s.criterion === c.criterion);
  if (!scores)
    throw new Error(
      `${join(stageDir(ctx.dir, 'score'), 'result.json')}: no '${c.criterion}' scores (it holds ${score.scores
        .map((s) => s.criterion)
        .join(', ')}); redo scoring with --force score`,
    );
  const m = ctx.original();
  const L = m.weights.config.numLayers;
  const target = parseRemoveTarget(c.remove, L);
  const candidates = candidateBlocks(L, c['protect-first'], c['protect-last']);
  if (target > candidates.length)
    throw new RangeError(
      `--remove ${c.remove} asks for ${target} of ${L} blocks but only ${candidates.length} are candidates ` +
        `(blocks ${candidates.join(', ') || 'none'} after --protect-first ${c['protect-first']} --protect-last ${c['protect-last']})`,
    );
  const removed = chooseRemoval(scores, target, candidates);
  const kept = Array.from({ length: L }, (_, i) => i).filter((i) => !removed.includes(i));
  const pruned = cutModel(m.weights, 'block', removed);
  const out = join(stageDir(ctx.dir, 'prune'), PRUNED_MODEL);
  const record = pruneRecord(
    ctx.modelPath,
    m.weights,
    pruned,
    { removed, kept, scores, candidates, target },
    {
      unit: 'block',
      criterion: c.criterion,
      remove: c.remove,
      protectFirst: c['protect-first'],
      protectLast: c['protect-last'],
      calib: null,
    },
  );
  writePrunedModel(pruned, m.tokenizer, out, 'hf', record);
  return {
    criterion: c.criterion,
    remove: c.remove,
    target,
    candidates,
    removed,
    kept,
    blocksBefore: L,
    blocksAfter: pruned.config.numLayers,
    parametersBefore: parameterCount(m.weights),
    parametersAfter: parameterCount(pruned),
    model: insideRun(ctx, out),
    seconds: (performance.now() - t0) / 1000,
  };
}
