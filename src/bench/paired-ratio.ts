// The timing rule's statistics: a speed-up is the median of per-round ratios (rounds interleave the
// models, so each round's ratio compares runs under one machine state), with a distribution-free
// 95% confidence interval for that median from order statistics; rounds continue until the
// interval lies within ±precision of the median or the time budget runs out.
import { median } from './kernels.js';

/** The smallest number of rounds whose order statistics give a 95% interval for the median. */
export const MIN_ROUNDS_FOR_INTERVAL = 6;

export interface RatioEstimate {
  /** Median of the per-round ratios. */
  median: number;
  /** The 95% interval for the median (null with fewer than MIN_ROUNDS_FOR_INTERVAL rounds). */
  low: number | null;
  high: number | null;
  rounds: number;
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n; // P(X = 0)
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * The ranks (1-based) of the order statistics that bound a confidence interval for the median of
 * n samples: [x_(k), x_(n+1-k)] with the largest k such that P(Binomial(n, 1/2) ≤ k-1) ≤ α/2.
 * Null when no k ≥ 1 qualifies (n too small).
 */
export function medianIntervalRanks(n: number, confidence = 0.95): [number, number] | null {
  const alphaHalf = (1 - confidence) / 2;
  let k = 0;
  while (k + 1 <= Math.floor(n / 2) && binomialHalfCdf(n, k) <= alphaHalf) k++;
  return k === 0 ? null : [k, n + 1 - k];
}

/** The median ratio of paired rounds and its 95% interval. */
export function estimateRatio(ratios: readonly number[], confidence = 0.95): RatioEstimate {
  if (ratios.length === 0) throw new RangeError('estimateRatio: no rounds');
  const sorted = [...ratios].sort((a, b) => a - b);
  const ranks = medianIntervalRanks(sorted.length, confidence);
  return {
    median: median(sorted),
    low: ranks ? sorted[ranks[0] - 1] : null,
    high: ranks ? sorted[ranks[1] - 1] : null,
    rounds: sorted.length,
  };
}

/** True when the interval exists and both ends lie within ±precision (a fraction) of the median. */
export function preciseEnough(e: RatioEstimate, precision: number): boolean {
  if (e.low === null || e.high === null) return false;
  return e.low >= e.median * (1 - precision) && e.high <= e.median * (1 + precision);
}

/** `1.19× (1.15–1.23)`, or `1.19× (no interval: 3 rounds)` when too few rounds ran. */
export function formatRatio(e: RatioEstimate, digits = 2): string {
  const x = (v: number) => v.toFixed(digits);
  return e.low === null || e.high === null
    ? `${x(e.median)}× (no interval: ${e.rounds} round${e.rounds === 1 ? '' : 's'})`
    : `${x(e.median)}× (${x(e.low)}–${x(e.high)})`;
}
