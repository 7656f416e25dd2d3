// Runs a benchmark once per dtype, each in a child process of its own (the CLI started again with one
// --dtype), one after the other: the peak memory a process reports is then that dtype's alone, and
// what one dtype's 850M-parameter run leaves for the collector cannot crowd the next. The children
// run with --expose-gc, so a benchmark can let large buffers go between rounds when PyTorch runs
// beside it.
import { spawnSync } from 'node:child_process';
import type { BenchDtype } from './bench-models.js';

/** How to start the CLI again: the node binary, its flags and the entry script. */
export interface SelfCommand {
  node: string;
  args: string[];
}

/** The command this process was started with (bin/shorten.js, or test/reliability/shorten-cli.ts under tsx). */
export function selfCommand(): SelfCommand {
  return { node: process.execPath, args: [...process.execArgv, process.argv[1]] };
}

/**
 * Runs `argsFor(dtype)` for each dtype in turn and parses the JSON object each child prints last on
 * stdout. Children inherit stderr, so their progress shows; a child that fails stops the run.
 */
export function runDtypesInChildren<T>(
  self: SelfCommand,
  dtypes: readonly BenchDtype[],
  argsFor: (dtype: BenchDtype) => string[],
): T[] {
  return dtypes.map((dtype) => {
    const args = ['--expose-gc', ...self.args, ...argsFor(dtype)];
    const r = spawnSync(self.node, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.error) throw new Error(`the ${dtype} benchmark could not start: ${r.error.message}`);
    if (r.status !== 0)
      throw new Error(`the ${dtype} benchmark failed (exit ${r.status ?? r.signal}); its messages are above`);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new Error(`the ${dtype} benchmark printed no JSON result: '${last.slice(0, 200)}'`);
    }
  });
}
