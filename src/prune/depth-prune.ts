// `shorten prune` for depth: score (or take --blocks), choose with the "+" heuristic, cut, and write
// the shorter model with its tokenizer and a prune.json record beside it.
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';
import type { ModelWeights } from '../model/weights.js';
import type { LoadedModel } from '../formats/load.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import type { CalibrationSet } from '../text/calibration.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { NEEDS_CALIBRATION, scoreUnits } from './criteria/index.js';
import { parameterCount, removeUnits } from './cut.js';
import { candidateBlocks, chooseRemoval, parseRemoveTarget } from './plan.js';
import { presentUnits } from './units.js';
import type { PruneUnit, UnitScores } from './units.js';

export interface DepthPlanOptions {
  unit: PruneUnit;
  /** Remove exactly these blocks (or their sublayers); no criterion. */
  blocks?: number[];
  criterion?: string;
  remove?: string;
  protectFirst: number;
  protectLast: number;
  iterative?: boolean;
  calib: CalibrationSet | null;
  run?: number;
  allTokens?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DepthPlan {
  removed: number[];
  kept: number[];
  scores: UnitScores | null;
  candidates: number[];
  target: number;
}

export function planDepthPrune(weights: ModelWeights, o: DepthPlanOptions): DepthPlan {
  const L = weights.config.numLayers;
  const present = new Set(presentUnits(weights.config, o.unit));
  const keptOf = (removed: number[]): number[] =>
    Array.from({ length: L }, (_, i) => i).filter((i) => o.unit !== 'block' || !removed.includes(i));
  if (o.blocks) {
    for (const b of o.blocks)
      if (!present.has(b))
        throw new RangeError(`--blocks: block ${b} is not a present ${o.unit} in [0, ${L})`);
    const removed = [...new Set(o.blocks)].sort((a, b) => a - b);
    return { removed, kept: keptOf(removed), scores: null, candidates: removed, target: removed.length };
  }
  if (!o.criterion) throw new RangeError('give --criterion or --blocks');
  if (!o.remove) throw new RangeError('give --remove (20% or a block count) with --criterion');
  if (NEEDS_CALIBRATION.has(o.criterion) && !o.calib)
    throw new RangeError(`criterion '${o.criterion}' needs --calib FILE`);
  const target = parseRemoveTarget(o.remove, L);
  const candidates = candidateBlocks(L, o.protectFirst, o.protectLast).filter((b) => present.has(b));
  if (target > candidates.length)
    throw new RangeError(
      `--remove ${o.remove} asks for ${target} of ${L} blocks but only ${candidates.length} are candidates ` +
        `(blocks ${candidates.join(', ') || 'none'} after --protect-first ${o.protectFirst} --protect-last ${o.protectLast})`,
    );
  const scores = scoreUnits(weights, o.calib, {
    criterion: o.criterion,
    unit: o.unit,
    run: o.criterion === 'angular' ? (o.run ?? target) : undefined,
    allTokens: o.allTokens,
    batchSize: o.batchSize,
    onProgress: o.onProgress,
    iterative: o.iterative ? { candidates, target } : undefined,
  });
  const removed = chooseRemoval(scores, target, candidates);
  return { removed, kept: keptOf(removed), scores, candidates, target };
}

export function cutModel(weights: ModelWeights, unit: PruneUnit, removed: number[]): ModelWeights {
  return removed.length ? removeUnits(weights, unit, removed) : weights;
}

/** The prune.json record: what was removed and why, and the parameter counts before and after. */
export function pruneRecord(
  source: string,
  before: ModelWeights,
  after: ModelWeights,
  plan: DepthPlan,
  o: DepthPlanOptions,
): Record<string, unknown> {
  return {
    source,
    method: 'depth',
    criterion: o.blocks ? 'manual' : o.criterion,
    unit: o.unit,
    iterative: Boolean(o.iterative),
    remove: o.remove ?? null,
    protect_first: o.protectFirst,
    protect_last: o.protectLast,
    calibration: o.calib ? { source: o.calib.source, ...o.calib.settings } : null,
    scores: plan.scores
      ? plan.scores.indices.map((index, k) => ({ index, score: plan.scores!.scores[k] }))
      : null,
    order: plan.scores?.order ?? null,
    removed: plan.removed,
    kept: plan.kept,
    blocks_before: before.config.numLayers,
    blocks_after: after.config.numLayers,
    pruned_attention: after.config.prunedAttention,
    pruned_mlp: after.config.prunedMlp,
    parameters_before: parameterCount(before),
    parameters_after: parameterCount(after),
  };
}

/** Where prune.json goes: inside an HF folder, or `<name>.prune.json` beside a GGUF file. */
export function pruneRecordPath(out: string, format: 'hf' | 'gguf'): string {
  return format === 'hf'
    ? join(out, 'prune.json')
    : join(dirname(out), basename(out).replace(/\.gguf$/, '') + '.prune.json');
}

/** Writes the pruned model and its prune.json; `from` (the checkpoint it was cut from) lets a GGUF carry its source's metadata. */
export function writePrunedModel(
  weights: ModelWeights,
  tokenizer: Tokenizer,
  out: string,
  format: 'hf' | 'gguf',
  record: Record<string, unknown>,
  from?: LoadedModel,
): string {
  const json = JSON.stringify(record, null, 2) + '\n';
  const keptBlocks = Array.isArray(record.kept) ? (record.kept as number[]) : undefined;
  if (format === 'hf')
    saveModelWithTokenizer(weights, tokenizer, out, 'hf', {
      files: { 'prune.json': json },
      from,
      keptBlocks,
    });
  else {
    saveModelWithTokenizer(weights, tokenizer, out, 'gguf', { from, keptBlocks });
    writeFileAtomic(pruneRecordPath(out, format), [new TextEncoder().encode(json)]);
  }
  return pruneRecordPath(out, format);
}
