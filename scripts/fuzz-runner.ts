// Runs a format's fuzz cases in a child process with a heap cap, a per-case time limit (a hang
// detector) and a resident-memory limit; a hang, a crash or an overrun counts as a failed case.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseOutcome } from './fuzz-child.js';

const CHILD = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));

export interface FuzzSettings {
  cases: number;
  seed: number;
  /** A case that takes longer is a hang. */
  caseTimeoutMs: number;
  /** Resident memory above this after a case is a failure. */
  rssLimitBytes: number;
  /** Nesting depth of the deep-JSON mutation. */
  deepNesting: number;
  heapLimitMb: number;
}

export const DEFAULT_SETTINGS: FuzzSettings = {
  cases: 10_000,
  seed: 1,
  caseTimeoutMs: 10_000,
  rssLimitBytes: 1536 * 2 ** 20,
  deepNesting: 100_000,
  heapLimitMb: 1024,
};

export interface FormatResult {
  format: string;
  cases: number;
  loaded: number;
  clean: number;
  failures: CaseOutcome[];
  byMutation: Record<string, { loaded: number; clean: number; failure: number }>;
  seconds: number;
  /** The largest resident memory any case left behind. */
  maxRssBytes: number;
}

/** Runs cases [from, to) in one child; resolves with the outcomes it got before finishing or dying. */
function runChild(format: string, from: number, to: number, s: FuzzSettings): Promise<CaseOutcome[]> {
  return new Promise((resolve) => {
    const got: CaseOutcome[] = [];
    const child = fork(CHILD, [format, String(s.seed), String(from), String(to), String(s.deepNesting)], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${s.heapLimitMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    // The first case also pays for start-up and building the seed files.
    let timer = setTimeout(() => child.kill('SIGKILL'), s.caseTimeoutMs + 30_000);
    child.on('message', (m: CaseOutcome) => {
      clearTimeout(timer);
      if (m.outcome !== 'failure' && m.rss > s.rssLimitBytes)
        got.push({ ...m, outcome: 'failure', message: `resident memory ${m.rss} bytes after the case` });
      else got.push(m);
      timer = setTimeout(() => child.kill('SIGKILL'), s.caseTimeoutMs);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const next = from + got.length;
      if (next < to)
        got.push({
          index: next,
          outcome: 'failure',
          mutation: '?',
          file: '?',
          message:
            signal === 'SIGKILL'
              ? `hang or kill: no result within the time limit`
              : `child died (code ${code}, ${signal ?? ''}): ${stderr.slice(-600)}`,
          rss: 0,
        });
      resolve(got);
    });
  });
}

export async function fuzzFormat(format: string, s: FuzzSettings): Promise<FormatResult> {
  const started = performance.now();
  const all: CaseOutcome[] = [];
  while (all.length < s.cases) {
    const outcomes = await runChild(format, all.length, s.cases, s);
    if (outcomes.length === 0) throw new Error(`fuzz ${format}: the child process produced no result`);
    all.push(...outcomes);
  }
  const byMutation: FormatResult['byMutation'] = {};
  for (const o of all) {
    const m = (byMutation[o.mutation] ??= { loaded: 0, clean: 0, failure: 0 });
    m[o.outcome]++;
  }
  return {
    format,
    cases: all.length,
    loaded: all.filter((o) => o.outcome === 'loaded').length,
    clean: all.filter((o) => o.outcome === 'clean').length,
    failures: all.filter((o) => o.outcome === 'failure'),
    byMutation,
    seconds: (performance.now() - started) / 1000,
    maxRssBytes: Math.max(...all.map((o) => o.rss)),
  };
}
