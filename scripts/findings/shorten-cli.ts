// Runs `shorten <command> … --json` from source as a child process and returns its JSON: each
// step in its own process, so memory is freed between steps and a crash names the command.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { ProgressLog } from './progress-log.js';
import { formatSeconds } from './progress-log.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ENTRY = 'src/cli/run.ts';

export interface CliRunOptions {
  /** A line on the command's progress, printed every minute while it runs (e.g. training steps). */
  status?: () => string | null;
  /** The command prints no JSON (merge): return null. */
  noJson?: boolean;
}

function runOnce(
  args: string[],
  opts: CliRunOptions,
  log: ProgressLog,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const t0 = performance.now();
    const timer = setInterval(() => {
      const s = opts.status?.();
      log(
        `  … shorten ${args[0]} running ${formatSeconds((performance.now() - t0) / 1000)}${s ? `: ${s}` : ''}`,
      );
    }, 60_000);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({
        code: code ?? 1,
        out: Buffer.concat(out).toString('utf8'),
        err: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The last line of stdout that parses as JSON (commands print one object in --json mode). */
export function lastJsonLine(stdout: string): unknown {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]) as unknown;
    } catch {
      // not JSON: keep looking upwards
    }
  }
  throw new Error('no JSON line on stdout');
}

export async function runShorten<T>(args: string[], log: ProgressLog, opts: CliRunOptions = {}): Promise<T> {
  const shown = `shorten ${args.join(' ')}`;
  const r = await runOnce(args, opts, log);
  if (r.code !== 0)
    throw new Error(`${shown}: exit ${r.code}\n${r.err.trim().split('\n').slice(-15).join('\n')}`);
  if (opts.noJson) return null as T;
  try {
    return lastJsonLine(r.out) as T;
  } catch {
    throw new Error(`${shown}: expected a JSON object on stdout, got: ${r.out.slice(0, 300)}`);
  }
}
