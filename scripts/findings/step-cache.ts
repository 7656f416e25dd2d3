// Every step of the findings script leaves its result as a JSON file named by a hash of its
// settings, written only once the step succeeded: a killed run redoes only the unfinished steps,
// and a rerun with the same settings rebuilds the report from these files at once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ProgressLog } from './progress-log.js';
import { formatSeconds } from './progress-log.js';

export interface StepRecord<T> {
  kind: string;
  hash: string;
  key: unknown;
  result: T;
  /** Seconds the step took when it ran (a cached step keeps the time of the run that made it). */
  seconds: number;
  finished: string;
  /** True when this invocation read it from the cache. */
  cached: boolean;
}

/** A stable JSON text (object keys sorted), so equal settings always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function settingsHash(kind: string, key: unknown): string {
  return createHash('sha256')
    .update(kind + '\n' + canonicalJson(key))
    .digest('hex')
    .slice(0, 16);
}

export class StepCache {
  readonly records: StepRecord<unknown>[] = [];

  constructor(
    readonly dir: string,
    private readonly log: ProgressLog,
  ) {
    mkdirSync(join(dir, 'steps'), { recursive: true });
    mkdirSync(join(dir, 'out'), { recursive: true });
  }

  /** The folder a step may write models or run files into (named like its result file). */
  outputDir(kind: string, key: unknown): string {
    return join(this.dir, 'out', `${kind}-${settingsHash(kind, key)}`);
  }

  /**
   * The step's result: read from its file when present (and `stillValid` accepts it, e.g. the
   * model it points to still exists), else computed, timed and written.
   */
  async run<T>(
    kind: string,
    label: string,
    key: unknown,
    compute: (outDir: string) => Promise<T> | T,
    stillValid: (result: T) => boolean = () => true,
  ): Promise<StepRecord<T>> {
    const hash = settingsHash(kind, key);
    const file = join(this.dir, 'steps', `${kind}-${hash}.json`);
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Omit<StepRecord<T>, 'cached'>;
      if (stillValid(saved.result)) {
        const record = { ...saved, cached: true };
        this.records.push(record);
        return record;
      }
      this.log(`${label}: cached result no longer valid, redoing`);
    }
    this.log(`${label} …`);
    const t0 = performance.now();
    const result = await compute(this.outputDir(kind, key));
    const seconds = (performance.now() - t0) / 1000;
    const saved = { kind, hash, key, result, seconds, finished: new Date().toISOString() };
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(saved, null, 1) + '\n');
    renameSync(tmp, file);
    this.log(`${label} done in ${formatSeconds(seconds)}`);
    const record = { ...saved, cached: false };
    this.records.push(record);
    return record;
  }
}
