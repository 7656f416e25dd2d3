// `shorten bench ...`: benchmark scripts that print ratios measured within one run.
import type { Command } from 'commander';
import { intOption } from './options.js';
import { benchKernels, formatKernelBench } from '../bench/kernels.js';
import { benchModel } from '../bench/model.js';
import { formatProfile, profileModel } from '../bench/model-profile.js';
import { SYNTHETIC_2048, syntheticLlama } from '../bench/synthetic-model.js';

export function registerBench(bench: Command): void {
  bench
    .command('kernels')
    .description(
      "GEMM and GEMV throughput against this machine's measured FMA peak and read bandwidth, and against PyTorch",
    )
    .option('--json', 'print one JSON object on stdout')
    .option('--runs <n>', 'timed runs per shape (median reported)', '5')
    .option('--no-torch', 'skip the PyTorch comparison')
    .addHelpText('after', '\nExample:\n  npx shorten bench kernels --json')
    .action(async (opts: { json?: boolean; runs: string; torch?: boolean }) => {
      const result = await benchKernels({
        runs: intOption(opts.runs, '--runs', 1),
        torch: opts.torch !== false,
        log: (s) => process.stderr.write(s + '\n'),
      });
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else process.stdout.write(formatKernelBench(result));
    });
  bench
    .command('model')
    .description(
      'Forward, forward+backward and decode tokens/s of a synthetic 2048-wide LLaMA, against PyTorch',
    )
    .option('--json', 'print one JSON object on stdout')
    .option('--batch <n>', 'sequences per step', '8')
    .option('--seq-len <n>', 'tokens per sequence', '128')
    .option('--decode-tokens <n>', 'tokens generated at batch 1', '32')
    .option('--runs <n>', 'timed runs (median reported)', '3')
    .option('--layers <n>', 'blocks (default 16)')
    .option('--no-torch', 'skip the PyTorch comparison')
    .option('--profile', 'time every kernel of one forward and one training step, by kind, instead')
    .addHelpText(
      'after',
      '\nExamples:\n  npx shorten bench model --json\n  npx shorten bench model --profile',
    )
    .action((opts: Record<string, string | boolean | undefined>) => {
      if (opts.profile) {
        const layers =
          opts.layers === undefined ? SYNTHETIC_2048.numLayers : intOption(opts.layers, '--layers', 1);
        const weights = syntheticLlama({ ...SYNTHETIC_2048, numLayers: layers }, { dtype: 'f32', seed: 1 });
        const p = profileModel(
          weights,
          intOption(opts.batch, '--batch', 1),
          intOption(opts.seqLen, '--seq-len', 2),
        );
        process.stdout.write(opts.json ? JSON.stringify(p) + '\n' : formatProfile(p));
        return;
      }
      const r = benchModel({
        batch: intOption(opts.batch, '--batch', 1),
        seqLen: intOption(opts.seqLen, '--seq-len', 2),
        decodeTokens: intOption(opts.decodeTokens, '--decode-tokens', 1),
        runs: intOption(opts.runs, '--runs', 1),
        layers: opts.layers === undefined ? undefined : intOption(opts.layers, '--layers', 1),
        torch: opts.torch !== false,
        log: (s) => process.stderr.write(s + '\n'),
      });
      process.stdout.write(JSON.stringify(r, null, opts.json ? undefined : 2) + '\n');
    });
}
