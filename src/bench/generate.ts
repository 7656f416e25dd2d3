// The generation-efficiency benchmark as the paper measures it: one prompt repeated batch-size
// times, exactly new-tokens generated (no early stop), median latency of the timed runs after
// warm-up; throughput, KV-cache bytes and resident memory beside it. Several models are measured
// in one run, their timed runs interleaved round by round, so their ratios share the machine's state.
import { performance } from 'node:perf_hooks';
import { generate } from '../model/generate.js';
import type { LlamaInference } from '../model/inference.js';
import { elementCount } from '../model/weights.js';
import { threadCount } from '../native/index.js';
import { median } from './kernels.js';

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
  runs: number;
  warmup: number;
  log?: (s: string) => void;
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
}

export interface GenerateBenchResult {
  prompt_tokens_note: string;
  new_tokens: number;
  threads: number;
  models: GenerateBenchModelInfo[];
  rows: GenerateBenchRow[];
}

function modelInfo(m: BenchModel): GenerateBenchModelInfo {
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
  if (opts.runs < 1 || opts.warmup < 0) throw new RangeError('bench generate: runs ≥ 1 and warmup ≥ 0');
  const rows: GenerateBenchRow[] = [];
  for (const batch of opts.batchSizes) {
    // Rounds over all models, each round starting one model later, so a drift of the machine or of
    // the JIT over the run lands on every model alike: run in sequence, the later models measured
    // up to 20% faster at batch 1 just for coming later.
    for (let i = 0; i < opts.warmup; i++) for (const m of models) timedGeneration(m, batch, opts.newTokens);
    const times = models.map((): number[] => []);
    const kvBytes = models.map(() => 0);
    for (let i = 0; i < opts.runs; i++) {
      for (let j = 0; j < models.length; j++) {
        const k = (i + j) % models.length;
        const r = timedGeneration(models[k], batch, opts.newTokens);
        times[k].push(r.seconds);
        kvBytes[k] = r.kvBytes;
      }
    }
    models.forEach((m, k) => {
      const latency = median(times[k]);
      const row: GenerateBenchRow = {
        model: m.name,
        batch,
        latency_s: latency,
        throughput_tokens_per_s: (batch * opts.newTokens) / latency,
        kv_cache_bytes: kvBytes[k],
        peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
        runs: opts.runs,
      };
      rows.push(row);
      opts.log?.(
        `${m.name} batch ${batch}: ${latency.toFixed(3)} s, ${row.throughput_tokens_per_s.toFixed(1)} tokens/s`,
      );
    });
  }
  return {
    prompt_tokens_note: 'prompt_tokens per model include BOS',
    new_tokens: opts.newTokens,
    threads: threadCount(),
    models: models.map(modelInfo),
    rows,
  };
}

/** The result as a fixed-width table with latency and throughput ratios to the first model. */
export function formatGenerateBench(r: GenerateBenchResult): string {
  const first = r.models[0].name;
  const lines = [
    `${r.new_tokens} new tokens, ${r.threads} threads; ratios against ${first} at the same batch size`,
    'model'.padEnd(28) +
      'batch'.padStart(6) +
      'latency s'.padStart(11) +
      'tok/s'.padStart(10) +
      'speed-up'.padStart(10) +
      'KV MiB'.padStart(9) +
      'peak RSS MiB'.padStart(14),
  ];
  for (const row of r.rows) {
    const base = r.rows.find((x) => x.model === first && x.batch === row.batch);
    const speedup = base ? base.latency_s / row.latency_s : NaN;
    lines.push(
      row.model.padEnd(28) +
        String(row.batch).padStart(6) +
        row.latency_s.toFixed(3).padStart(11) +
        row.throughput_tokens_per_s.toFixed(1).padStart(10) +
        speedup.toFixed(2).padStart(10) +
        (row.kv_cache_bytes / 2 ** 20).toFixed(1).padStart(9) +
        (row.peak_rss_bytes / 2 ** 20).toFixed(0).padStart(14),
    );
  }
  for (const m of r.models)
    lines.push(
      `${m.name}: ${(m.parameters / 1e6).toFixed(1)}M parameters, ${m.blocks} blocks, ${m.heads}/${m.kv_heads} heads, MLP ${m.intermediate_size}`,
    );
  return lines.join('\n') + '\n';
}
