// `shorten eval zeroshot` and `shorten bench generate`: accuracy and inference efficiency.
import type { Command } from 'commander';
import { benchGenerate, DEFAULT_BENCH_PROMPT } from '../bench/generate.js';
import { formatGenerateBench } from '../bench/generate-format.js';
import { openBenchModels } from '../bench/generate-models.js';
import { TASKS, parseTaskList } from '../eval/tasks/definitions.js';
import { zeroShot } from '../eval/zeroshot.js';
import { parseZeroShotBos } from '../eval/zeroshot-bos.js';
import { inferenceOf, openModel } from '../pipeline/open-model.js';
import { fractionOption, intOption, numberOption, UsageError } from './options.js';

function intList(v: string, flag: string): number[] {
  const out = v.split(',').map((s) => intOption(s.trim(), flag, 1));
  if (out.length === 0) throw new UsageError(`${flag}: give at least one value`);
  return out;
}

export function registerMeasureCommands(_program: Command, evalCmd: Command, bench: Command): void {
  evalCmd
    .command('zeroshot')
    .description("Zero-shot multiple-choice accuracy with lm-evaluation-harness's protocol (acc, acc_norm)")
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .option('--tasks <list>', `all, or some of ${TASKS.map((t) => t.name).join(',')}`, 'all')
    .option('--data-dir <dir>', 'folder holding the task files (default: $SHORTEN_DATA)')
    .option('--limit <n>', 'score only the first n questions of each task')
    .option('--batch <n>', 'questions (distinct contexts) per prefill batch', '16')
    .option(
      '--bos <mode>',
      "auto: BOS before each context when the tokenizer adds it (lm-evaluation-harness since Oct 2025); never: no BOS (the paper's pinned harness); always: BOS (else EOS) before each context",
      'auto',
    )
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--adapter <dir>', 'a PEFT LoRA adapter folder, folded into the weights first')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten eval zeroshot model.gguf --tasks piqa,winogrande --data-dir tasks --json',
    )
    .action((model: string, opts: Record<string, string | boolean | undefined>) => {
      let tasks;
      try {
        tasks = parseTaskList(String(opts.tasks));
      } catch (err) {
        throw new UsageError(`--tasks: ${(err as Error).message}`);
      }
      const dataDir = (opts.dataDir as string | undefined) ?? process.env.SHORTEN_DATA;
      if (!dataDir) throw new UsageError('give the task folder with --data-dir or SHORTEN_DATA');
      const limit = opts.limit === undefined ? undefined : intOption(opts.limit, '--limit', 1);
      const batch = intOption(opts.batch, '--batch', 1);
      let bos;
      try {
        bos = parseZeroShotBos(String(opts.bos));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const m = openModel(model, {
        tokenizer: opts.tokenizer as string | undefined,
        adapter: opts.adapter as string | undefined,
      });
      const quiet = Boolean(opts.json) || !process.stderr.isTTY;
      const result = zeroShot(inferenceOf(m), m.tokenizer, tasks, dataDir, {
        limit,
        batch,
        bos,
        onProgress: quiet ? undefined : (t, d, n) => process.stderr.write(`\r${t}: contexts ${d}/${n}   `),
      });
      if (!quiet) process.stderr.write('\n');
      if (opts.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      for (const t of tasks) {
        const s = result.tasks[t.name];
        if (!s) continue;
        process.stdout.write(
          `${t.name.padEnd(14)} ${t.metric.padEnd(8)} ${(s[t.metric] * 100).toFixed(2).padStart(6)}   (acc ${(s.acc * 100).toFixed(2)}, acc_norm ${(s.acc_norm * 100).toFixed(2)}, n ${s.n})\n`,
        );
      }
      process.stdout.write(`${'average'.padEnd(23)} ${result.average.toFixed(2).padStart(6)}\n`);
      process.stdout.write(`bos ${result.bos.description}\n`);
    });

  bench
    .command('generate')
    .description(
      'Generation latency, throughput and memory per batch size, several models in one run (the paper’s efficiency protocol)',
    )
    .argument(
      '<models...>',
      'checkpoints, or synthetic-2048[:depth=20%|:width=20%][:bf16] for the random 2048-wide benchmark model',
    )
    .option('--batch-sizes <list>', 'comma-separated batch sizes', '1,8,16,32,64')
    .option('--new-tokens <n>', 'tokens generated per row (exactly; no early stop)', '128')
    .option('--prompt <text>', 'the prompt, repeated batch-size times', DEFAULT_BENCH_PROMPT)
    .option(
      '--budget <seconds>',
      'timed rounds stop when every speed-up is precise enough, or after this many seconds in all',
      '120',
    )
    .option(
      '--precision <p>',
      'a speed-up is precise enough when its 95% interval is within ±p of its median',
      '5%',
    )
    .option('--warmup <n>', 'untimed runs first', '2')
    .option('--tokenizer <path>', 'tokenizer for llama2.c checkpoints')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten bench generate synthetic-2048:bf16 synthetic-2048:depth=20%:bf16 synthetic-2048:width=20%:bf16 --json',
    )
    .action((models: string[], opts: Record<string, string | boolean | undefined>) => {
      const batchSizes = intList(String(opts.batchSizes), '--batch-sizes');
      const newTokens = intOption(opts.newTokens, '--new-tokens', 1);
      const budgetS = numberOption(opts.budget, '--budget');
      if (budgetS < 0) throw new UsageError(`--budget must be ≥ 0 seconds (got ${budgetS})`);
      const precision = fractionOption(opts.precision, '--precision');
      const warmup = intOption(opts.warmup, '--warmup', 0);
      const prompt = String(opts.prompt);
      const benchModels = openBenchModels(models, prompt, opts.tokenizer as string | undefined);
      const quiet = Boolean(opts.json) || !process.stderr.isTTY;
      const result = benchGenerate(benchModels, {
        batchSizes,
        newTokens,
        budgetS,
        precision,
        warmup,
        log: quiet ? undefined : (s) => process.stderr.write(s + '\n'),
      });
      process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : formatGenerateBench(result));
    });
}
