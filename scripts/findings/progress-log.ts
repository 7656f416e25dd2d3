// Progress lines on stderr for the findings script: each prefixed with the time since the script
// started, so a slow step and the total are visible while it runs.
import { performance } from 'node:perf_hooks';

export interface ProgressLog {
  (message: string): void;
  /** Seconds since the script started. */
  elapsed(): number;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const sec = Math.round(s - 60 * m);
  return m < 60
    ? `${m}m${String(sec).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressLog(stream: NodeJS.WritableStream = process.stderr): ProgressLog {
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const log = ((message: string) => {
    stream.write(`[findings ${formatSeconds(elapsed()).padStart(7)}] ${message}\n`);
  }) as ProgressLog;
  log.elapsed = elapsed;
  return log;
}
