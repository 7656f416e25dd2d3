// `shorten bench ...`: benchmark scripts that print ratios measured within one run.
import type { Command } from 'commander';
import { benchKernels } from '../bench/kernels.js';

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('Measure speed against the machine and against references');
  bench
    .command('kernels')
    .description("GEMM and GEMV throughput against this machine's measured FMA peak and read bandwidth")
    .option('--json', 'print one JSON object on stdout')
    .option('--runs <n>', 'timed runs per shape (median reported)', '5')
    .addHelpText('after', '\nExample:\n  npx shorten bench kernels --json')
    .action(async (opts: { json?: boolean; runs: string }) => {
      const result = await benchKernels({
        runs: Number(opts.runs),
        log: (s) => process.stderr.write(s + '\n'),
      });
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else {
        process.stdout.write(
          `peak ${result.peak_gflops.toFixed(1)} GFLOP/s, read ${result.read_gbps.toFixed(1)} GB/s\n`,
        );
        for (const r of result.rows) {
          const shape = `${r.m}x${r.k}x${r.n}`;
          if (r.kernel === 'gemm')
            process.stdout.write(
              `gemm ${r.a}x${r.b} ${r.trans} ${shape}: ${r.gflops.toFixed(1)} GFLOP/s (${(r.ratio_to_peak * 100).toFixed(1)}% of peak)\n`,
            );
          else
            process.stdout.write(
              `gemv ${r.b} ${shape}: ${r.gbps.toFixed(1)} GB/s (${(r.ratio_to_read * 100).toFixed(1)}% of read bandwidth)\n`,
            );
        }
      }
    });
}
