// Stage 5, benchmark: generation latency and throughput per batch size, the original model against
// the pruned one, interleaved in one run so their ratio shares the machine's state. (The healed
// model has the pruned model's shape, so it runs at the pruned model's speed.)
import { performance } from 'node:perf_hooks';
import { benchGenerate, DEFAULT_BENCH_PROMPT } from '../../bench/generate.js';
import { LlamaInference } from '../../model/inference.js';
import { removeBlocks } from '../../prune/cut.js';
import { promptIds } from '../../text/sequence-start.js';
import type { BenchmarkResult, PruneResult } from '../../report/results.js';
import { readStageResult } from '../run-results.js';
import type { RunContext } from './context.js';

export function benchmarkStage(ctx: RunContext): BenchmarkResult {
  const t0 = performance.now();
  const c = ctx.config;
  const prune = readStageResult<PruneResult>(ctx.dir, 'prune');
  const m = ctx.original();
  const prompt = promptIds(m.tokenizer, DEFAULT_BENCH_PROMPT);
  const batchSizes = c['bench-batch-sizes'];
  const tick = ctx.progress.task('benchmark', batchSizes.length * 2, 'row');
  let rows = 0;
  const bench = benchGenerate(
    [
      { name: 'original', inference: new LlamaInference(m.weights, 'original'), promptIds: prompt },
      {
        name: 'pruned',
        inference: new LlamaInference(removeBlocks(m.weights, prune.removed), 'pruned'),
        promptIds: prompt,
      },
    ],
    {
      batchSizes,
      newTokens: c['bench-new-tokens'],
      budgetS: c['bench-budget'],
      precision: c['bench-precision'],
      warmup: c['bench-warmup'],
      log: () => tick(++rows),
    },
  );
  ctx.progress.end();
  return { bench, prompt: DEFAULT_BENCH_PROMPT, seconds: (performance.now() - t0) / 1000 };
}
