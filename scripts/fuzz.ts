// Fuzzes every untrusted-input loader with damaged copies of the real fixtures and prints, per
// format, how many cases loaded, failed cleanly or failed badly (crash, hang, memory, raw JS error).
// Usage: node --import tsx scripts/fuzz.ts [--cases 10000] [--format NAME] [--seed S] [--parallel 2] [--json]
import { DEFAULT_SETTINGS, fuzzFormat } from './fuzz-runner.js';
import type { FormatResult } from './fuzz-runner.js';
import { TARGETS } from './fuzz-targets.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const settings = {
    ...DEFAULT_SETTINGS,
    cases: Number(option('--cases') ?? DEFAULT_SETTINGS.cases),
    seed: Number(option('--seed') ?? DEFAULT_SETTINGS.seed),
  };
  const only = option('--format');
  const formats = TARGETS.map((t) => t.name).filter((n) => !only || only.split(',').includes(n));
  if (formats.length === 0)
    throw new Error(`--format: expected some of ${TARGETS.map((t) => t.name).join(', ')}`);
  const results: FormatResult[] = [];
  const queue = [...formats];
  const lane = async (): Promise<void> => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const r = await fuzzFormat(f, settings);
      results.push(r);
      process.stderr.write(
        `${f}: ${r.cases} cases in ${r.seconds.toFixed(0)} s, ${r.failures.length} failures\n`,
      );
      for (const x of r.failures.slice(0, 5))
        process.stderr.write(`  #${x.index} ${x.file} ${x.mutation}: ${x.message}\n`);
    }
  };
  await Promise.all(Array.from({ length: Number(option('--parallel') ?? 2) }, lane));
  results.sort((a, b) => formats.indexOf(a.format) - formats.indexOf(b.format));
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else {
    const pad = (s: string | number, n: number): string => String(s).padStart(n);
    process.stdout.write(
      `${'format'.padEnd(16)}${pad('cases', 8)}${pad('loaded', 8)}${pad('clean err', 11)}${pad('failures', 10)}${pad('s', 6)}${pad('max RSS MiB', 13)}\n`,
    );
    for (const r of results)
      process.stdout.write(
        `${r.format.padEnd(16)}${pad(r.cases, 8)}${pad(r.loaded, 8)}${pad(r.clean, 11)}${pad(r.failures.length, 10)}${pad(r.seconds.toFixed(0), 6)}${pad((r.maxRssBytes / 2 ** 20).toFixed(0), 13)}\n`,
      );
    process.stdout.write(
      `seed ${settings.seed}; a clean error: not a built-in JS error type, message names a file of the case and matches /field|expected/\n`,
    );
  }
  if (results.some((r) => r.failures.length > 0)) process.exitCode = 1;
}

await main();
