// `shorten bench kernels | model | score | train`: benchmark scripts that print ratios measured
// within one run. model, score and train run each requested dtype in a child process of their own
// (this CLI again, with one --dtype and the hidden --child) and print the runs together.
import type { Command } from 'commander';
import { Option } from 'commander';
import { fractionOption, intOption, numberOption, UsageError } from './options.js';
import { benchKernels, formatKernelBench } from '../bench/kernels.js';
import { benchModel, formatModelBench } from '../bench/model.js';
import { formatProfile, profileModel } from '../bench/model-profile.js';
import { benchScore, formatScoreBench } from '../bench/score.js';
import { benchTrain, formatTrainBench } from '../bench/train.js';
import type { BenchDtype } from '../bench/bench-models.js';
import { BENCH_DTYPES, BENCH_SHAPES, benchShape } from '../bench/bench-models.js';
import { runDtypesInChildren, selfCommand } from '../bench/dtype-children.js';
import { syntheticConfig, syntheticLlama } from '../bench/synthetic-model.js';
import { threadCount } from '../native/index.js';

type Opts = Record<string, string | boolean | undefined>;

/** `f32`, `bf16` or `both` (both in that order). */
export function parseDtypes(v: unknown): BenchDtype[] {
  const s = String(v);
  if (s === 'both') return [...BENCH_DTYPES];
  if ((BENCH_DTYPES as readonly string[]).includes(s)) return [s as BenchDtype];
  throw new UsageError(`--dtype must be f32, bf16 or both (got '${s}')`);
}

/** What every comparison against PyTorch shares: dtypes, shape, the timing rule's budget. */
function comparisonOptions(cmd: Command, defaultBudgetS: number, budgetWhat: string): Command {
  return cmd
    .option('--dtype <d>', 'weights stored as f32, bf16, or both (each in its own process)', 'both')
    .option('--shape <name>', `model shape: ${Object.keys(BENCH_SHAPES).join(' | ')}`, 'synthetic-2048')
    .option('--layers <n>', 'blocks (default: the shape’s, 16 for synthetic-2048)')
    .option(
      '--budget <seconds>',
      `interleaved rounds stop when precise enough, or after this long ${budgetWhat}`,
      String(defaultBudgetS),
    )
    .option(
      '--precision <p>',
      'a ratio is precise enough when its 95% interval is within ±p of its median',
      '5%',
    )
    .option('--no-torch', 'skip the PyTorch comparison')
    .option('--json', 'print one JSON object on stdout')
    .addOption(
      new Option(
        '--child',
        'run the one --dtype here and print its JSON (used by the parent run)',
      ).hideHelp(),
    );
}

interface Common {
  dtypes: BenchDtype[];
  shape: ReturnType<typeof benchShape>;
  budgetS: number;
  precision: number;
  torch: boolean;
  json: boolean;
  child: boolean;
  log: (s: string) => void;
}

function common(o: Opts): Common {
  const budgetS = numberOption(o.budget, '--budget');
  if (budgetS < 0) throw new UsageError(`--budget must be ≥ 0 seconds (got ${budgetS})`);
  const name = String(o.shape);
  if (!(name in BENCH_SHAPES))
    throw new UsageError(`--shape must be one of ${Object.keys(BENCH_SHAPES).join(', ')} (got '${name}')`);
  const dtypes = parseDtypes(o.dtype);
  if (o.child && dtypes.length !== 1) throw new UsageError('--child runs exactly one --dtype');
  const json = Boolean(o.json);
  return {
    dtypes,
    shape: benchShape(name, o.layers === undefined ? undefined : intOption(o.layers, '--layers', 1)),
    budgetS,
    precision: fractionOption(o.precision, '--precision'),
    torch: o.torch !== false,
    json,
    child: Boolean(o.child),
    log: json && !process.stderr.isTTY ? () => {} : (s) => process.stderr.write(s + '\n'),
  };
}

/** The options given on this command line, as arguments for a child (without --dtype, --json, --child). */
function forwardedOptions(cmd: Command): string[] {
  const out: string[] = [];
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (['dtype', 'json', 'child'].includes(key) || cmd.getOptionValueSource(key) !== 'cli') continue;
    const v = cmd.getOptionValue(key) as unknown;
    if (opt.negate) {
      if (v === false) out.push(opt.long!);
    } else if (opt.isBoolean()) {
      if (v === true) out.push(opt.long!);
    } else out.push(opt.long!, String(v));
  }
  return out;
}

/**
 * In a child (--child): runs the one dtype here and prints its JSON. Otherwise runs each dtype in a
 * child and prints the runs: `{ "runs": [...] }` with --json, else each run's text.
 */
async function perDtype<T>(
  cmd: Command,
  c: Common,
  run: (dtype: BenchDtype) => Promise<T> | T,
  format: (r: T) => string,
): Promise<void> {
  if (c.child) {
    process.stdout.write(JSON.stringify(await run(c.dtypes[0])) + '\n');
    return;
  }
  const forwarded = forwardedOptions(cmd);
  const runs = runDtypesInChildren<T>(selfCommand(), c.dtypes, (dtype) => [
    '--threads',
    String(threadCount()),
    'bench',
    cmd.name(),
    ...forwarded,
    '--dtype',
    dtype,
    '--json',
    '--child',
  ]);
  process.stdout.write(c.json ? JSON.stringify({ runs }) + '\n' : runs.map(format).join('\n\n') + '\n');
}

export function registerBench(bench: Command): void {
  bench
    .command('kernels')
    .description(
      "GEMM and GEMV throughput against this machine's measured FMA peak and read bandwidth, and against PyTorch",
    )
    .option('--json', 'print one JSON object on stdout')
    .option(
      '--runs <n>',
      'calls per timed batch (each round times one batch of ours and one of PyTorch)',
      '5',
    )
    .option(
      '--budget <seconds>',
      'interleaved rounds per GEMM row stop when precise enough, or after this long',
      '3',
    )
    .option(
      '--precision <p>',
      'a ratio is precise enough when its 95% interval is within ±p of its median',
      '5%',
    )
    .option('--no-torch', 'skip the PyTorch comparison')
    .addHelpText('after', '\nExample:\n  npx shorten bench kernels --json')
    .action(async (opts: Opts) => {
      const budgetS = numberOption(opts.budget, '--budget');
      if (budgetS < 0) throw new UsageError(`--budget must be ≥ 0 seconds (got ${budgetS})`);
      const result = await benchKernels({
        runs: intOption(opts.runs, '--runs', 1),
        torch: opts.torch !== false,
        budgetS,
        precision: fractionOption(opts.precision, '--precision'),
        log: (s) => process.stderr.write(s + '\n'),
      });
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else process.stdout.write(formatKernelBench(result));
    });

  comparisonOptions(
    bench
      .command('model')
      .description(
        'Forward, forward+backward and decode tokens/s of a synthetic 2048-wide LLaMA in f32 and bf16, against PyTorch',
      )
      .option('--batch <n>', 'sequences per step', '8')
      .option('--seq-len <n>', 'tokens per sequence', '128')
      .option('--decode-tokens <n>', 'tokens generated at batch 1', '32')
      .option('--profile', 'time every kernel of one forward and one training step, by kind, instead'),
    300,
    'per figure',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx shorten bench model --json\n  npx shorten bench model --dtype bf16 --layers 4 --budget 60\n  npx shorten bench model --profile --dtype bf16',
    )
    .action(async (opts: Opts, cmd: Command) => {
      const c = common(opts);
      const batch = intOption(opts.batch, '--batch', 1);
      const seqLen = intOption(opts.seqLen, '--seq-len', 2);
      const decodeTokens = intOption(opts.decodeTokens, '--decode-tokens', 1);
      if (opts.profile) {
        await perDtype(
          cmd,
          c,
          (dtype) => ({
            dtype,
            ...profileModel(syntheticLlama(c.shape, { dtype, seed: 1 }), batch, seqLen),
          }),
          (p) => `bench model --profile, ${p.dtype} weights:\n${formatProfile(p)}`,
        );
        return;
      }
      await perDtype(
        cmd,
        c,
        (dtype) => benchModel({ ...c, shape: c.shape, dtype, batch, seqLen, decodeTokens, log: c.log }),
        formatModelBench,
      );
    });

  comparisonOptions(
    bench
      .command('score')
      .description(
        'Taylor and the cached ppl sweep on the synthetic 2048-wide model in f32 and bf16: time and peak memory, against PyTorch (Taylor, naive sweep)',
      )
      .option('--samples <n>', 'calibration windows', '10')
      .option('--seq-len <n>', 'tokens per window', '128'),
    1200,
    'per figure (6 rounds of the anchor’s sweep take about 18 minutes on 2 cores)',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx shorten bench score --json\n  npx shorten bench score --dtype bf16 --no-torch',
    )
    .action(async (opts: Opts, cmd: Command) => {
      const c = common(opts);
      const samples = intOption(opts.samples, '--samples', 1);
      const seqLen = intOption(opts.seqLen, '--seq-len', 2);
      await perDtype(cmd, c, (dtype) => benchScore({ ...c, dtype, samples, seqLen }), formatScoreBench);
    });

  comparisonOptions(
    bench
      .command('train')
      .description(
        'Training tokens/s of LoRA, full-parameter and distillation steps on the synthetic 2048-wide model in f32 and bf16, against PyTorch',
      )
      .option('--seq-len <n>', 'tokens per row', '128')
      .option('--batch <n>', 'rows per step', '8')
      .option('--vocab <n>', 'vocabulary (default: the shape’s, 32000 for synthetic-2048)')
      .option(
        '--teacher-layers <n>',
        "distillation row: the teacher's blocks, the student's width and vocabulary (default: the student's; 0: no row)",
      ),
    300,
    'per figure',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx shorten bench train --json\n  npx shorten bench train --dtype f32 --layers 2 --vocab 8192',
    )
    .action(async (opts: Opts, cmd: Command) => {
      const c = common(opts);
      const seqLen = intOption(opts.seqLen, '--seq-len', 2);
      const batch = intOption(opts.batch, '--batch', 1);
      const shape =
        opts.vocab === undefined ? c.shape : { ...c.shape, vocabSize: intOption(opts.vocab, '--vocab', 2) };
      const teacherLayers =
        opts.teacherLayers === undefined
          ? syntheticConfig(shape).numLayers
          : intOption(opts.teacherLayers, '--teacher-layers', 0);
      await perDtype(
        cmd,
        c,
        (dtype) => benchTrain({ ...c, shape, dtype, seqLen, batch, teacherLayers }),
        formatTrainBench,
      );
    });
}
