// Which blocks a criterion's order removes: the first k candidates of the order (the one-shot "+"
// choice, as `shorten prune` makes it), or, for angular distance with runs of k blocks, the best
// run lying wholly among the candidates. Pure, so the sweep and the tables agree by construction.

/** Candidate blocks under the "+" heuristic: all but the first `first` and the last `last`. */
export function plusCandidates(numLayers: number, first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, numLayers - first - last) }, (_, i) => first + i);
}

/** The first `k` blocks of `order` that are candidates, ascending. */
export function firstCandidates(
  order: readonly number[],
  candidates: readonly number[],
  k: number,
): number[] {
  const allowed = new Set(candidates);
  const chosen = order.filter((b) => allowed.has(b)).slice(0, k);
  if (chosen.length < k)
    throw new RangeError(`the order ranks only ${chosen.length} of the ${k} candidates needed`);
  return chosen.sort((a, b) => a - b);
}

/** Angular distance over runs of `k` blocks: the first run start in `order` whose run is all candidates. */
export function bestCandidateRun(
  order: readonly number[],
  candidates: readonly number[],
  k: number,
): number[] {
  const allowed = new Set(candidates);
  const start = order.find((s) => Array.from({ length: k }, (_, i) => s + i).every((b) => allowed.has(b)));
  if (start === undefined) throw new RangeError(`no run of ${k} consecutive candidate blocks`);
  return Array.from({ length: k }, (_, i) => start + i);
}

/** Block counts of the sweep: 0 … max, or only 0 and the given counts (quick runs). */
export function sweepCounts(max: number, only?: readonly number[]): number[] {
  if (only) return [...new Set([0, ...only.filter((k) => k <= max)])].sort((a, b) => a - b);
  return Array.from({ length: max + 1 }, (_, k) => k);
}
