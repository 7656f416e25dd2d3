// The generation-efficiency benchmark as the paper measures it: one prompt repeated batch-size
// times, exactly new-tokens generated (no early stop), median latency of the timed runs after
// warm-up; throughput, KV-cache bytes and resident memory beside it. Several models are measured
// in one run under the timing rule (timed-rounds.ts): interleaved rounds until each speed-up over
// the first model has a 95% interval within ±precision, or the budget runs out; beside each
// speed-up, the ideal one from the work per token, and a flag when the measurement exceeds it.
import { performance } from 'node:perf_hooks';
import { generate } from '../model/generate.js';
import type { LlamaInference } from '../model/inference.js';
import { elementCount } from '../model/weights.js';
import { threadCount } from '../native/index.js';
import type { IdealBasis, WorkPerToken } from './ideal-speedup.js';
import { beyondIdeal, idealSpeedup, workPerToken } from './ideal-speedup.js';
import { median } from './kernels.js';
import { timedRounds } from './timed-rounds.js';

export const DEFAULT_BENCH_PROMPT = 'The Leaning Tower of Pisa is known for';

export interface BenchModel {
  name: string;
  inference: LlamaInference;
  /** The prompt's ids, BOS first. */
  promptIds: number[];
}

export interface GenerateBenchOptions {
  batchSizes: number[];
  newTokens: number;
  warmup: number;
  /** Seconds of timed rounds for the whole benchmark, shared out over the batch sizes in turn. */
  budgetS: number;
  /** A batch size stops once every speed-up's 95% interval is within ±precision (a fraction). */
  precision: number;
  /** An upper bound on rounds per batch size. */
  maxRounds?: number;
  log?: (s: string) => void;
}

/** A model's speed-up over the first model at one batch size, under the timing rule. */
export interface GenerateSpeedup {
  model: string;
  batch: number;
  /** Median over rounds of the first model's latency over this one's. */
  speedup: number;
  /** The 95% interval of that median (null with fewer than 6 rounds). */
  low: number | null;
  high: number | null;
  rounds: number;
  /** The most the work per token allows, and what it is computed from. */
  ideal: number;
  ideal_basis: IdealBasis;
  /** The interval lies wholly above the ideal: noise or a cache effect, not a result. */
  beyond_ideal: boolean;
  /** Why the rounds of this batch size stopped: the interval met the precision, or the budget ran out. */
  stopped_by: 'precise' | 'budget' | 'max-rounds';
}

export interface GenerateBenchRow {
  model: string;
  batch: number;
  /** Median seconds for prefill + new-tokens decode steps of the whole batch. */
  latency_s: number;
  /** Generated tokens per second: batch × new-tokens / latency. */
  throughput_tokens_per_s: number;
  kv_cache_bytes: number;
  /** The process's resident-memory high-water mark after this batch size (process-wide, never falls). */
  peak_rss_bytes: number;
  /** Timed rounds behind the median. */
  runs: number;
}

export interface GenerateBenchModelInfo {
  name: string;
  parameters: number;
  weight_bytes: number;
  blocks: number;
  heads: number;
  kv_heads: number;
  intermediate_size: number;
  prompt_tokens: number;
  /** Weight bytes and FLOPs per generated token, for the ideal speed-ups. */
  work_per_token: WorkPerToken;
}

export interface GenerateBenchResult {
  prompt_tokens_note: string;
  new_tokens: number;
  threads: number;
  /** The timing rule's settings. */
  budget_s: number;
  precision: number;
  models: GenerateBenchModelInfo[];
  rows: GenerateBenchRow[];
  /** Every model but the first, at every batch size. */
  speedups: GenerateSpeedup[];
}

function modelInfo(m: BenchModel, newTokens: number): GenerateBenchModelInfo {
  let parameters = 0;
  let bytes = 0;
  for (const t of m.inference.weights.tensors.values()) {
    parameters += elementCount(t.shape);
    bytes += t.data.byteLength;
  }
  const c = m.inference.config;
  return {
    name: m.name,
    parameters,
    weight_bytes: bytes,
    blocks: c.numLayers,
    heads: c.numHeads,
    kv_heads: c.numKvHeads,
    intermediate_size: c.intermediateSize,
    prompt_tokens: m.promptIds.length,
    // A new token attends to the prompt and, on average, half the generated tokens.
    work_per_token: workPerToken(m.inference.weights, m.promptIds.length + newTokens / 2),
  };
}

/** One timed generation: seconds, and the KV cache's size. */
function timedGeneration(
  m: BenchModel,
  batch: number,
  newTokens: number,
): { seconds: number; kvBytes: number } {
  const prompts = Array.from({ length: batch }, () => m.promptIds);
  const t0 = performance.now();
  const r = generate(m.inference, prompts, { maxNewTokens: newTokens, greedy: true, stopAtEos: false });
  const seconds = (performance.now() - t0) / 1000;
  for (const row of r.tokens)
    if (row.length !== newTokens)
      throw new Error(`bench generate: ${m.name} produced ${row.length} tokens instead of ${newTokens}`);
  return { seconds, kvBytes: r.kvCacheBytes };
}

export function benchGenerate(models: BenchModel[], opts: GenerateBenchOptions): GenerateBenchResult {
  if (models.length === 0) throw new RangeError('bench generate: no model');
  if (opts.warmup < 0 || !(opts.budgetS >= 0) || !(opts.precision > 0))
    throw new RangeError('bench generate: warmup ≥ 0, budget ≥ 0 and precision > 0');
  const infos = models.map((m) => modelInfo(m, opts.newTokens));
  const rows: GenerateBenchRow[] = [];
  const speedups: GenerateSpeedup[] = [];
  const start = performance.now() / 1000;
  opts.batchSizes.forEach((batch, b) => {
    for (let i = 0; i < opts.warmup; i++) for (const m of models) timedGeneration(m, batch, opts.newTokens);
    // This batch size's share of what is left of the budget: time one batch size does not use
    // goes to the next ones.
    const left = opts.budgetS - (performance.now() / 1000 - start);
    const kvBytes = models.map(() => 0);
    const r = timedRounds({
      models: models.length,
      measure: (k) => {
        const t = timedGeneration(models[k], batch, opts.newTokens);
        kvBytes[k] = t.kvBytes;
        return t.seconds;
      },
      budgetS: Math.max(0, left / (opts.batchSizes.length - b)),
      precision: opts.precision,
      maxRounds: opts.maxRounds,
    });
    models.forEach((m, k) => {
      const latency = median(r.times[k]);
      const row: GenerateBenchRow = {
        model: m.name,
        batch,
        latency_s: latency,
        throughput_tokens_per_s: (batch * opts.newTokens) / latency,
        kv_cache_bytes: kvBytes[k],
        peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
        runs: r.times[k].length,
      };
      rows.push(row);
      if (k > 0) {
        const e = r.speedups[k];
        const ideal = idealSpeedup(infos[0].work_per_token, infos[k].work_per_token, batch);
        speedups.push({
          model: m.name,
          batch,
          speedup: e.median,
          low: e.low,
          high: e.high,
          rounds: e.rounds,
          ideal: ideal.ideal,
          ideal_basis: ideal.basis,
          beyond_ideal: beyondIdeal(e, ideal.ideal),
          stopped_by: r.stop,
        });
      }
      opts.log?.(
        `${m.name} batch ${batch}: ${latency.toFixed(3)} s, ${row.throughput_tokens_per_s.toFixed(1)} tokens/s (${row.runs} rounds)`,
      );
    });
  });
  return {
    prompt_tokens_note: 'prompt_tokens per model include BOS',
    new_tokens: opts.newTokens,
    threads: threadCount(),
    budget_s: opts.budgetS,
    precision: opts.precision,
    models: infos,
    rows,
    speedups,
  };
}
