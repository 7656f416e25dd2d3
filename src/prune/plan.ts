// Which units go: the target count (a percentage of the blocks or a number), the candidates left by
// the "+" heuristic (first and last blocks protected), and the choice from a criterion's order.
import type { UnitScores } from './units.js';

/**
 * '20%' → round(0.20 · L) blocks, halves rounded up (20% of 32 blocks → 6, of 16 → 3); 'N' → N.
 * For sublayer units the count is of sublayers, with L blocks to take them from.
 */
export function parseRemoveTarget(spec: string, numLayers: number): number {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(spec.trim());
  if (pct) {
    const p = Number(pct[1]);
    if (!(p > 0 && p < 100)) throw new RangeError(`--remove: a percentage in (0, 100) (got '${spec}')`);
    return Math.floor((p / 100) * numLayers + 0.5);
  }
  const n = Number(spec);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`--remove: a percentage like 20% or a positive block count (got '${spec}')`);
  return n;
}

/** Blocks that may be removed: all but the first `first` and the last `last`. */
export function candidateBlocks(numLayers: number, first: number, last: number): number[] {
  const out: number[] = [];
  for (let i = first; i < numLayers - last; i++) out.push(i);
  return out;
}

/** The `count` least important candidates (for angular: the best run of `count` candidate blocks), ascending. */
export function chooseRemoval(scores: UnitScores, count: number, candidates: readonly number[]): number[] {
  const allowed = new Set(candidates);
  if (count > allowed.size)
    throw new RangeError(
      `cannot remove ${count} ${scores.unit === 'block' ? 'blocks' : `${scores.unit} sublayers`}: only ${allowed.size} candidates (${[...allowed].join(', ') || 'none'}) after protecting the first and last blocks`,
    );
  if (count === 0) return [];
  if (scores.criterion === 'angular') {
    if (scores.run !== count)
      throw new RangeError(`angular ranks runs of ${scores.run} blocks, but ${count} are to be removed`);
    const start = scores.order.find((l) =>
      Array.from({ length: count }, (_, k) => l + k).every((b) => allowed.has(b)),
    );
    if (start === undefined) throw new RangeError(`angular: no run of ${count} consecutive candidate blocks`);
    return Array.from({ length: count }, (_, k) => start + k);
  }
  const chosen = scores.order.filter((i) => allowed.has(i)).slice(0, count);
  if (chosen.length < count)
    throw new RangeError(`the criterion ranked only ${chosen.length} of the ${count} candidates needed`);
  return chosen.sort((a, b) => a - b);
}
