// Finding 5: depth pruning (PPL criterion) against width pruning at the same parameter budget, each
// ratio: perplexity, and generation latency/throughput per batch size for the original and all the
// pruned models in ONE `shorten bench generate` call, so every ratio compares runs under one load.
import { loadavg } from 'node:os';
import type { GenerateBenchResult } from '../../src/bench/generate.js';
import type { FindingsContext, PerplexityByText } from './context.js';
import type { DepthPruneRecord, PrunedModel, WidthPruneRecord } from './pruned-models.js';
import { depthPruned, widthPruned } from './pruned-models.js';

/** What `shorten bench generate --json` prints. */
export type BenchDocument = GenerateBenchResult;

export interface ShapedModel {
  label: string;
  method: 'original' | 'depth' | 'width';
  ratio: string | null;
  parameters: number;
  blocks: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  ppl: PerplexityByText;
}

export interface BenchRow {
  label: string;
  batch: number;
  latencyS: number;
  throughput: number;
  /** Latency of the original over this model's at this batch (> 1: faster): median of rounds. */
  speedup: number;
  /** Its 95% interval (null with too few rounds), the ideal from the work per token, and whether it exceeds it. */
  low: number | null;
  high: number | null;
  ideal: number;
  beyondIdeal: boolean;
  rounds: number;
  peakRssBytes: number;
}

export interface DepthWidthFinding {
  widthScore: string;
  models: ShapedModel[];
  bench: {
    rows: BenchRow[];
    newTokens: number;
    budget: number;
    precision: string;
    warmup: number;
    threads: number;
    loadBefore: number;
    loadAfter: number;
    seconds: number;
  };
}

export async function compareDepthWidth(ctx: FindingsContext): Promise<DepthWidthFinding> {
  const s = ctx.settings;
  const c = ctx.model.config;
  const models: (ShapedModel & { folder: string; producedBy: string })[] = [
    {
      label: 'original',
      method: 'original',
      ratio: null,
      parameters: ctx.model.parameters,
      blocks: c.numLayers,
      heads: c.numHeads,
      kvHeads: c.numKvHeads,
      intermediateSize: c.intermediateSize,
      ppl: await ctx.pplWithout([], 'F5 perplexity of the original'),
      folder: ctx.model.path,
      producedBy: ctx.model.fingerprint,
    },
  ];
  for (const ratio of s.ratios) {
    const d: PrunedModel<DepthPruneRecord> = await depthPruned(ctx, 'ppl', ratio);
    models.push({
      label: `depth ${ratio}`,
      method: 'depth',
      ratio,
      parameters: d.record.parameters_after,
      blocks: d.record.blocks_after,
      heads: c.numHeads,
      kvHeads: c.numKvHeads,
      intermediateSize: c.intermediateSize,
      ppl: await ctx.pplWithout(d.record.removed, `F5 perplexity depth ${ratio}`),
      folder: d.folder,
      producedBy: d.hash,
    });
    const w: PrunedModel<WidthPruneRecord> = await widthPruned(ctx, ratio);
    models.push({
      label: `width ${ratio}`,
      method: 'width',
      ratio,
      parameters: w.record.parameters_after,
      blocks: c.numLayers,
      heads: w.record.num_attention_heads,
      kvHeads: w.record.num_key_value_heads,
      intermediateSize: w.record.intermediate_size,
      ppl: await ctx.pplOfFolder(w.folder, w.hash, `F5 perplexity width ${ratio}`),
      folder: w.folder,
      producedBy: w.hash,
    });
  }

  const key = {
    models: models.map((m) => m.producedBy),
    batches: s.benchBatches,
    budget: s.benchBudget,
    precision: s.benchPrecision,
    warmup: s.benchWarmup,
    newTokens: s.benchNewTokens,
  };
  const r = await ctx.cache.run(
    'bench-generate',
    'F5 bench generate (all models, one call)',
    key,
    async () => {
      const loadBefore = loadavg()[0];
      const doc = await ctx.shorten<BenchDocument>([
        'bench',
        'generate',
        ...models.map((m) => m.folder),
        '--batch-sizes',
        s.benchBatches.join(','),
        '--budget',
        String(s.benchBudget),
        '--precision',
        s.benchPrecision,
        '--warmup',
        String(s.benchWarmup),
        '--new-tokens',
        String(s.benchNewTokens),
        '--json',
      ]);
      return { doc, loadBefore, loadAfter: loadavg()[0] };
    },
  );
  const { doc, loadBefore, loadAfter } = r.result;
  const labelOf = new Map(models.map((m) => [m.folder, m.label]));
  const rows: BenchRow[] = doc.rows.map((row) => {
    const label = labelOf.get(row.model);
    if (!label)
      throw new Error(`bench generate: a row for '${row.model}', which is not one of the models given`);
    const s = doc.speedups.find((x) => x.model === row.model && x.batch === row.batch);
    const isOriginal = row.model === ctx.model.path;
    if (!s && !isOriginal)
      throw new Error(`bench generate: no speed-up for '${row.model}' at batch ${row.batch}`);
    return {
      label,
      batch: row.batch,
      latencyS: row.latency_s,
      throughput: row.throughput_tokens_per_s,
      speedup: s?.speedup ?? 1,
      low: s ? s.low : 1,
      high: s ? s.high : 1,
      ideal: s?.ideal ?? 1,
      beyondIdeal: s?.beyond_ideal ?? false,
      rounds: row.runs,
      peakRssBytes: row.peak_rss_bytes,
    };
  });
  return {
    widthScore: s.widthScore,
    models: models.map(({ folder: _f, producedBy: _p, ...m }) => m),
    bench: {
      rows,
      newTokens: doc.new_tokens,
      budget: s.benchBudget,
      precision: s.benchPrecision,
      warmup: s.benchWarmup,
      threads: doc.threads,
      loadBefore,
      loadAfter,
      seconds: r.seconds,
    },
  };
}
