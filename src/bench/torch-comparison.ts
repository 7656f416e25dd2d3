// One benchmark figure timed on our side and on PyTorch's in interleaved rounds (the timing rule of
// timed-rounds.ts: each round runs one short timed batch on each side, starting with the other side
// than the round before), giving our speed over PyTorch's with its 95% interval, or saying plainly
// why there is no ratio or no interval.
import type { RatioEstimate } from './paired-ratio.js';
import { estimateRatio, MIN_ROUNDS_FOR_INTERVAL } from './paired-ratio.js';
import { median } from './kernels.js';
import type { TimedRounds } from './timed-rounds.js';
import { timedRoundsAsync } from './timed-rounds.js';

export interface Comparison {
  /** Our seconds per run: the median over rounds. */
  shorten_s: number;
  /** PyTorch's seconds per run, the median over rounds; null when it did not run. */
  pytorch_s: number | null;
  /** Our speed over PyTorch's: PyTorch's seconds over ours in each round, median and 95% interval. */
  speedup: RatioEstimate | null;
  rounds: number;
  /** Why the rounds stopped: precise enough, the budget spent, or the round cap. */
  stop: TimedRounds['stop'];
  /** Why `speedup` is null or has no interval; null when it has both. */
  note: string | null;
  /** Our seconds in each round, for fractions of the machine's ceilings. */
  shorten_times: number[];
}

export interface RoundsSettings {
  /** Seconds after which no new round starts. */
  budgetS: number;
  /** Rounds stop once the interval lies within ±precision of the median. */
  precision: number;
  maxRounds?: number;
  /** Seconds, monotonic (default performance.now): tests pass a synthetic one. */
  clock?: () => number;
}

/** Why a ratio measured over `rounds` rounds has no interval, or null when it has one. */
export function intervalNote(e: RatioEstimate, budgetS: number): string | null {
  if (e.low !== null) return null;
  return (
    `no interval: ${e.rounds} round${e.rounds === 1 ? '' : 's'} within the ${budgetS} s budget ` +
    `(${MIN_ROUNDS_FOR_INTERVAL} give a 95% interval; raise --budget)`
  );
}

/**
 * Times `ours` and, unless `torch` is null, PyTorch in interleaved rounds; each side has already run
 * once (warm-up) before this is called. `noTorch` says why PyTorch is not compared, when it is not.
 */
export async function compareRounds(
  o: RoundsSettings & {
    ours: () => number;
    torch: (() => Promise<number>) | null;
    noTorch: string;
  },
): Promise<Comparison> {
  const torch = o.torch;
  // Model 0 is the reference: the speed-up of model 1 (ours) is PyTorch's time over ours.
  const r = await timedRoundsAsync({
    models: torch ? 2 : 1,
    measure: (k) => (torch && k === 0 ? torch() : o.ours()),
    budgetS: o.budgetS,
    precision: o.precision,
    maxRounds: o.maxRounds,
    clock: o.clock,
  });
  const oursTimes = torch ? r.times[1] : r.times[0];
  const speedup = torch ? r.speedups[1] : null;
  return {
    shorten_s: median(oursTimes),
    pytorch_s: torch ? median(r.times[0]) : null,
    speedup,
    rounds: oursTimes.length,
    stop: r.stop,
    note: speedup ? intervalNote(speedup, o.budgetS) : o.noTorch,
    shorten_times: oursTimes,
  };
}

/**
 * A comparison whose sides could not run in one process's lifetime beside each other (`why`): each
 * side's rounds ran on their own, one after the other, so the ratio of medians has no interval.
 */
export function unpairedComparison(ours: TimedRounds, torch: TimedRounds, why: string): Comparison {
  const shorten_s = median(ours.times[0]);
  const pytorch_s = median(torch.times[0]);
  return {
    shorten_s,
    pytorch_s,
    speedup: { median: pytorch_s / shorten_s, low: null, high: null, rounds: ours.times[0].length },
    rounds: ours.times[0].length,
    stop: ours.stop,
    note: `no interval: ${why}`,
    shorten_times: ours.times[0],
  };
}

/** Our rounds alone, when PyTorch did not run (`why`). */
export function oursOnly(ours: TimedRounds, why: string): Comparison {
  return {
    shorten_s: median(ours.times[0]),
    pytorch_s: null,
    speedup: null,
    rounds: ours.times[0].length,
    stop: ours.stop,
    note: why,
    shorten_times: ours.times[0],
  };
}

/**
 * A fraction of a ceiling measured in the same run (the FMA peak, the bandwidth bound), per round:
 * `rate(t)` turns a round's seconds into the figure, divided by `ceiling`; median and 95% interval.
 */
export function fractionOfCeiling(
  times: number[],
  rate: (t: number) => number,
  ceiling: number,
): RatioEstimate {
  return estimateRatio(times.map((t) => rate(t) / ceiling));
}

/** `×1.19 (1.15–1.23) over PyTorch`, with the note when there is no interval or no ratio. */
export function formatSpeedup(c: Pick<Comparison, 'speedup' | 'rounds' | 'note'>): string {
  if (!c.speedup) return `no ratio: ${c.note ?? 'PyTorch did not run'}`;
  const e = c.speedup;
  const x = (v: number) => v.toFixed(2);
  const interval = e.low === null || e.high === null ? '' : ` (${x(e.low)}–${x(e.high)})`;
  return `×${x(e.median)}${interval} over PyTorch, ${c.rounds} rounds${c.note ? `; ${c.note}` : ''}`;
}

/** `0.56 (0.55–0.57)`: a fraction with its interval, when it has one. */
export function formatFraction(e: RatioEstimate): string {
  const x = (v: number) => v.toFixed(2);
  return e.low === null || e.high === null ? x(e.median) : `${x(e.median)} (${x(e.low)}–${x(e.high)})`;
}

/** Seconds to three significant digits (tiny models run in milliseconds, the anchor in minutes). */
export function formatSeconds(s: number | null): string {
  if (s === null) return '-';
  return s >= 100 ? `${s.toFixed(0)} s` : `${s.toPrecision(3)} s`;
}
