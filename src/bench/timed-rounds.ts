// The timing rule's loop, shared by `bench generate`, the `run` benchmark stage and the findings:
// interleaved rounds (each round times every model once, starting one model later than the last, so
// a drift of the machine lands on every model alike) until every model's speed-up over the first
// has a 95% interval within ±precision, or the time budget runs out. Timings and the clock come in
// as functions, so the rule is tested with synthetic ones.
import { performance } from 'node:perf_hooks';
import type { RatioEstimate } from './paired-ratio.js';
import { estimateRatio, preciseEnough } from './paired-ratio.js';

export interface TimedRoundsOptions {
  /** How many models; model 0 is the reference the ratios divide. */
  models: number;
  /** Times model k once; returns seconds. */
  measure: (k: number) => number;
  /** Seconds after which no new round starts (at least one round always runs). */
  budgetS: number;
  /** Stop once every ratio's interval lies within ±precision (a fraction) of its median. */
  precision: number;
  /** An upper bound on rounds. */
  maxRounds?: number;
  /** Seconds, monotonic (default performance.now). */
  clock?: () => number;
}

export interface TimedRounds {
  /** Seconds per round, per model. */
  times: number[][];
  /** Per model: latency of model 0 over model k in each round, estimated (model 0's is 1). */
  speedups: RatioEstimate[];
  /** Why the rounds stopped. */
  stop: 'precise' | 'budget' | 'max-rounds';
}

export function timedRounds(opts: TimedRoundsOptions): TimedRounds {
  if (opts.models < 1) throw new RangeError('timedRounds: no model');
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const times = Array.from({ length: opts.models }, (): number[] => []);
  const t0 = clock();
  const estimates = (): RatioEstimate[] =>
    times.map((row) => estimateRatio(row.map((t, i) => times[0][i] / t)));
  for (let round = 0; ; round++) {
    for (let j = 0; j < opts.models; j++) {
      const k = (round + j) % opts.models;
      times[k].push(opts.measure(k));
    }
    const speedups = estimates();
    // With one model there is no ratio: its own latency's interval has to be precise instead.
    const judged = opts.models > 1 ? speedups.slice(1) : [estimateRatio(times[0])];
    if (judged.every((e) => preciseEnough(e, opts.precision))) return { times, speedups, stop: 'precise' };
    if (opts.maxRounds !== undefined && round + 1 >= opts.maxRounds)
      return { times, speedups, stop: 'max-rounds' };
    if (clock() - t0 >= opts.budgetS) return { times, speedups, stop: 'budget' };
  }
}
