// Every figure of a run in one object (summary.json) and as CSV tables, built from the stages'
// result files alone.
import type { GenerateSpeedup } from '../bench/generate.js';
import type { BenchmarkResult, EvaluateResult, HealResult, PruneResult, ScoreResult } from './results.js';

export interface RunResults {
  settings: Record<string, unknown>;
  score: ScoreResult;
  prune: PruneResult;
  heal: HealResult;
  evaluate: EvaluateResult;
  benchmark: BenchmarkResult;
}

function measure(r: RunResults, name: 'original' | 'pruned' | 'healed') {
  return r.evaluate.models.find((m) => m.name === name) ?? null;
}

/** The pruned model's speed-up over the original at a batch size, with its interval and ideal. */
export function speedup(b: BenchmarkResult, batch: number): GenerateSpeedup | null {
  // Results written before the timing rule have no speed-ups: the report shows none.
  return (b.bench.speedups ?? []).find((x) => x.model === 'pruned' && x.batch === batch) ?? null;
}

export function runSummary(r: RunResults): Record<string, unknown> {
  const original = measure(r, 'original');
  const pruned = measure(r, 'pruned');
  const healed = measure(r, 'healed');
  const zs = (m: typeof original) =>
    m?.zeroshot ? { average: m.zeroshot.average, tasks: m.zeroshot.tasks } : null;
  return {
    model: r.score.model,
    settings: r.settings,
    calibration: r.score.calibration,
    evaluation_text: r.evaluate.evalText,
    self_samples: r.score.selfSamples,
    blocks: {
      before: r.prune.blocksBefore,
      after: r.prune.blocksAfter,
      removed: r.prune.removed,
      kept: r.prune.kept,
    },
    parameters: {
      before: r.prune.parametersBefore,
      after: r.prune.parametersAfter,
      fraction_removed: 1 - r.prune.parametersAfter / r.prune.parametersBefore,
    },
    perplexity: {
      original: original?.ppl ?? null,
      pruned: pruned?.ppl ?? null,
      healed: healed?.ppl ?? null,
      segments: r.evaluate.segments,
      seq_len: r.evaluate.seqLen,
    },
    zeroshot: {
      ran: r.evaluate.zeroshot.ran,
      reason: r.evaluate.zeroshot.reason,
      limit: r.evaluate.zeroshot.limit,
      bos: r.evaluate.zeroshot.bos ?? null,
      original: zs(original),
      pruned: zs(pruned),
      healed: zs(healed),
    },
    importance: r.score.scores.map((s) => ({
      criterion: s.criterion,
      scores: s.indices.map((block, k) => ({ block, score: s.scores[k] })),
      order: s.order,
    })),
    perplexity_sweep: r.evaluate.sweep,
    healing: {
      method: r.heal.method,
      data: r.heal.data,
      steps: r.heal.steps,
      tokens: r.heal.tokens,
      settings: r.heal.settings,
      first_loss: r.heal.log[0]?.loss ?? null,
      last_loss: r.heal.log[r.heal.log.length - 1]?.loss ?? null,
      first_val_loss: r.heal.firstValLoss,
      last_val_loss: r.heal.lastValLoss,
    },
    benchmark: {
      prompt: r.benchmark.prompt,
      new_tokens: r.benchmark.bench.new_tokens,
      threads: r.benchmark.bench.threads,
      rows: r.benchmark.bench.rows,
      budget_s: r.benchmark.bench.budget_s,
      precision: r.benchmark.bench.precision,
      // Medians; `speedups` has each one's 95% interval, its ideal and whether it exceeds the ideal.
      speedup_by_batch: Object.fromEntries(
        [...new Set(r.benchmark.bench.rows.map((x) => x.batch))].map((b) => [
          b,
          speedup(r.benchmark, b)?.speedup ?? null,
        ]),
      ),
      speedups: r.benchmark.bench.speedups ?? [],
    },
    seconds: {
      score: r.score.seconds,
      prune: r.prune.seconds,
      heal: r.heal.seconds,
      evaluate: r.evaluate.seconds,
      benchmark: r.benchmark.seconds,
    },
  };
}

function csv(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

/** The CSV tables by file name. */
export function runTables(r: RunResults): Record<string, string> {
  const removed = new Set(r.prune.removed);
  const candidates = new Set(r.prune.candidates);
  const tables: Record<string, string> = {
    'importance.csv': csv(
      ['criterion', 'block', 'score', 'status'],
      r.score.scores.flatMap((s) =>
        s.indices.map((b, k) => [
          s.criterion,
          b,
          s.scores[k],
          removed.has(b) ? 'removed' : candidates.has(b) ? 'kept' : 'protected',
        ]),
      ),
    ),
    'perplexity_sweep.csv': csv(
      ['criterion', 'blocks_removed', 'removed_blocks', 'ppl'],
      r.evaluate.sweep.map((p) => [p.criterion, p.removed, p.blocks.join(' '), p.ppl]),
    ),
    'models.csv': csv(
      ['model', 'parameters', 'blocks', 'ppl', 'zeroshot_average'],
      r.evaluate.models.map((m) => [m.name, m.parameters, m.blocks, m.ppl, m.zeroshot?.average ?? null]),
    ),
    'heal_loss.csv': csv(
      ['step', 'tokens', 'loss', 'val_loss', 'lr', 'grad_norm'],
      r.heal.log.map((x) => [x.step, x.tokens, x.loss, x.val_loss ?? null, x.lr, x.grad_norm]),
    ),
    'benchmark.csv': csv(
      [
        'model',
        'batch',
        'latency_s',
        'throughput_tokens_per_s',
        'kv_cache_bytes',
        'peak_rss_bytes',
        'runs',
        'speedup',
        'speedup_low',
        'speedup_high',
        'ideal_speedup',
        'beyond_ideal',
      ],
      r.benchmark.bench.rows.map((x) => {
        const s = (r.benchmark.bench.speedups ?? []).find((y) => y.model === x.model && y.batch === x.batch);
        return [
          x.model,
          x.batch,
          x.latency_s,
          x.throughput_tokens_per_s,
          x.kv_cache_bytes,
          x.peak_rss_bytes,
          x.runs,
          s?.speedup,
          s?.low,
          s?.high,
          s?.ideal,
          s ? String(s.beyond_ideal) : null,
        ];
      }),
    ),
  };
  if (r.evaluate.zeroshot.ran)
    tables['zeroshot.csv'] = csv(
      ['model', 'task', 'acc', 'acc_norm', 'n'],
      r.evaluate.models.flatMap((m) =>
        Object.entries(m.zeroshot?.tasks ?? {}).map(([task, s]) => [m.name, task, s.acc, s.acc_norm, s.n]),
      ),
    );
  return tables;
}
