// `shorten run` (the whole pipeline into one folder) and `shorten report DIR` (the report rebuilt
// from a run folder's results).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { STAGES } from '../report/results.js';
import { buildReport } from '../report/build.js';
import { flagValue, readConfigFile, resolveRunConfig, RunConfigError } from '../pipeline/run-config.js';
import { RunSettingsError } from '../pipeline/run-preflight.js';
import { parseStageNames, runPipeline } from '../pipeline/run.js';
import { runProgress } from '../pipeline/run-progress.js';
import { UsageError } from './options.js';

/** The flags of `shorten run`, each also a field of the config file (same name without dashes). */
const RUN_FLAGS: [field: string, arg: string, description: string][] = [
  ['out', '<dir>', 'run folder: each stage writes DIR/<stage>/, then report.html (default shorten-run)'],
  ['tokenizer', '<path>', 'tokenizer for a llama2.c checkpoint'],
  ['calib', '<file|self>', "calibration text, or 'self' to sample it from the model (default self)"],
  ['calib-samples', '<n>', 'calibration windows (default 10)'],
  ['seq-len', '<n>', 'tokens per calibration window, evaluation segment and healing row (default 128)'],
  ['seed', '<n>', 'seed of sampling, calibration and training (default 1234)'],
  ['eval-text', '<file>', 'held-out text for perplexity (default: further samples from the model)'],
  ['eval-samples', '<n>', 'perplexity segments (default 16)'],
  [
    'heal-samples',
    '<n>',
    'sequences sampled from the model to heal on, with --calib self (default 512: 60 steps of 8 see none twice)',
  ],
  ['criterion', '<name>', 'criterion that chooses the blocks: taylor, ppl, magnitude, bi (default taylor)'],
  ['compare', '<list>', 'further criteria scored for the charts, comma-separated (default ppl,magnitude)'],
  ['remove', '<n|pct>', 'blocks to remove: a count or a percentage like 20% (default 20%)'],
  ['protect-first', '<n>', 'first blocks never removed (default 4)'],
  ['protect-last', '<n>', 'last blocks never removed (default 2)'],
  ['heal', '<method>', 'lora, cpt, kd (distillation from the original model) or none (default lora)'],
  ['heal-data', '<file>', 'healing text or Alpaca JSON (default: the calibration file, else self-samples)'],
  ['heal-steps', '<n>', 'optimizer steps (default 60)'],
  ['heal-batch', '<n>', 'rows per step (default 8)'],
  ['heal-micro-batch', '<n>', 'rows per forward pass (default 4)'],
  ['heal-lr', '<x>', 'peak learning rate (default 1e-3 for LoRA, 3e-4 for CPT and KD)'],
  ['lora-rank', '<r>', 'LoRA rank (default 8)'],
  ['lora-alpha', '<a>', 'LoRA alpha (default 16)'],
  ['data-dir', '<dir>', 'zero-shot task files (default $SHORTEN_DATA; skipped when neither)'],
  ['tasks', '<list>', 'zero-shot tasks: all or a comma-separated list (default all)'],
  ['zeroshot-limit', '<n>', 'questions per task (default 100)'],
  [
    'zeroshot-bos',
    '<mode>',
    "auto (BOS when the tokenizer adds it), never (the paper's harness) or always (default auto)",
  ],
  ['bench-batch-sizes', '<list>', 'generation batch sizes (default 1,4,16)'],
  ['bench-new-tokens', '<n>', 'tokens generated per row (default 32)'],
  ['bench-budget', '<seconds>', 'benchmark: timed rounds stop after this long in all (default 20)'],
  [
    'bench-precision',
    '<fraction>',
    "benchmark: or once each speed-up's 95% interval is within ± this of its median (default 0.05)",
  ],
  ['bench-warmup', '<n>', 'untimed runs first (default 1)'],
];

function camel(field: string): string {
  return field.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

type Opts = Record<string, unknown>;

export function registerRunCommands(program: Command): void {
  const run = program
    .command('run')
    .description('The whole pipeline into one folder: score → prune → heal → evaluate → benchmark → report')
    .argument('[model]', 'HF folder, GGUF file or llama2.c .bin (default: the embedded default model)')
    .option('--config <file>', 'settings from a YAML or JSON file (fields: the long flag names); flags win')
    .option(
      '--force <stage>',
      `redo a stage even if its results are there (repeatable: ${STAGES.join(', ')})`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    );
  for (const [field, arg, description] of RUN_FLAGS) run.option(`--${field} ${arg}`, description);
  run
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object on stdout (progress still goes to stderr)')
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten run --out shorten-run\n  npx shorten run model.gguf --config run.yaml --calib calib.txt --force heal',
    )
    .action(async (model: string | undefined, o: Opts) => {
      let config;
      let force;
      try {
        const file = typeof o.config === 'string' ? o.config : null;
        const flags: Record<string, unknown> = {};
        for (const [field] of RUN_FLAGS) {
          const v = o[camel(field)];
          if (typeof v === 'string') flags[field] = flagValue(field, v);
        }
        if (model !== undefined) flags.model = model;
        config = resolveRunConfig(file ? readConfigFile(file) : {}, file, flags);
        if (file && config.model && !model) config.model = resolve(file, '..', config.model);
        force = parseStageNames(o.force as string[]);
      } catch (e) {
        if (e instanceof RunConfigError || e instanceof RangeError) throw new UsageError(e.message);
        throw e;
      }
      const progress = runProgress({ quiet: Boolean(o.quiet) });
      let outcome;
      try {
        outcome = await runPipeline(config, { force, progress });
      } catch (e) {
        if (e instanceof RunSettingsError) throw new UsageError(e.message);
        throw e;
      }
      progress.end();
      if (o.json) process.stdout.write(JSON.stringify(outcome) + '\n');
      else
        process.stdout.write(
          `report: ${outcome.report}\nsummary: ${outcome.summary}\n` +
            outcome.stages
              .map(
                (s) => `${s.stage}: ${s.status}${s.status === 'ran' ? ` (${s.seconds.toFixed(1)} s)` : ''}`,
              )
              .join('\n') +
            '\n',
        );
    });

  program
    .command('report')
    .description("Rebuild report.html, summary.json and tables/*.csv from a run folder's results")
    .argument('<dir>', 'a folder written by shorten run')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExample:\n  npx shorten report shorten-run')
    .action(async (dir: string, o: Opts) => {
      const files = await buildReport(resolve(dir));
      if (o.json) process.stdout.write(JSON.stringify({ dir: resolve(dir), files }) + '\n');
      else process.stdout.write(files.map((f) => resolve(dir, f)).join('\n') + '\n');
    });
}
