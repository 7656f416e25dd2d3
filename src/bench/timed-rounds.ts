// The timing rule's loop, shared by `bench generate`, the `run` benchmark stage, the findings and
// every benchmark against PyTorch (torch-comparison.ts): interleaved rounds (each round times every
// model once, starting one model later than the last, so a drift of the machine lands on every
// model alike) until every model's speed-up over the first has a 95% interval within ±precision, or
// the time budget runs out. Timings and the clock come in as functions, so the rule is tested with
// synthetic ones.
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

/** The rule's bookkeeping, shared by the synchronous and the asynchronous loop. */
class Rounds {
  readonly times: number[][];
  constructor(readonly opts: { models: number; budgetS: number; precision: number; maxRounds?: number }) {
    if (opts.models < 1) throw new RangeError('timedRounds: no model');
    this.times = Array.from({ length: opts.models }, (): number[] => []);
  }
  /** The models in the order round `round` times them: each round starts one model later. */
  order(round: number): number[] {
    return Array.from({ length: this.opts.models }, (_, j) => (round + j) % this.opts.models);
  }
  /** The result once round `round` is done and the rounds should stop, else null. */
  verdict(round: number, elapsedS: number): TimedRounds | null {
    const times = this.times;
    const speedups = times.map((row) => estimateRatio(row.map((t, i) => times[0][i] / t)));
    // With one model there is no ratio: its own latency's interval has to be precise instead.
    const judged = this.opts.models > 1 ? speedups.slice(1) : [estimateRatio(times[0])];
    if (judged.every((e) => preciseEnough(e, this.opts.precision)))
      return { times, speedups, stop: 'precise' };
    if (this.opts.maxRounds !== undefined && round + 1 >= this.opts.maxRounds)
      return { times, speedups, stop: 'max-rounds' };
    if (elapsedS >= this.opts.budgetS) return { times, speedups, stop: 'budget' };
    return null;
  }
}

export function timedRounds(opts: TimedRoundsOptions): TimedRounds {
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const rounds = new Rounds(opts);
  const t0 = clock();
  for (let round = 0; ; round++) {
    for (const k of rounds.order(round)) rounds.times[k].push(opts.measure(k));
    const done = rounds.verdict(round, clock() - t0);
    if (done) return done;
  }
}

/**
 * The same rule where a measurement waits on another process (a PyTorch worker answering over a
 * pipe): `measure` returns a promise of the seconds it measured.
 */
export async function timedRoundsAsync(
  opts: Omit<TimedRoundsOptions, 'measure'> & { measure: (k: number) => number | Promise<number> },
): Promise<TimedRounds> {
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const rounds = new Rounds(opts);
  const t0 = clock();
  for (let round = 0; ; round++) {
    for (const k of rounds.order(round)) rounds.times[k].push(await opts.measure(k));
    const done = rounds.verdict(round, clock() - t0);
    if (done) return done;
  }
}
