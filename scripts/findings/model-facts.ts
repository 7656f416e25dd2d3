// What the report's header says about the model and the machine, read from the model's config and
// from the OS; and a fingerprint of the model's files, so cached steps of a replaced model are
// never reused.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import type { LlamaConfig } from '../../src/model/config.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { parameterCount } from '../../src/prune/cut.js';

export interface ModelFacts {
  path: string;
  fingerprint: string;
  parameters: number;
  config: LlamaConfig;
  /** Tokens the model was trained on, from its training_log.jsonl (null without one). */
  trainedTokens: number | null;
}

export interface MachineFacts {
  cores: number;
  cpu: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the script started (other work on the machine slows timings). */
  loadAverage: number;
}

/** sha256 over the names and bytes of the files directly in the folder (or of the one file). */
export function modelFingerprint(path: string): string {
  const h = createHash('sha256');
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((n) => statSync(join(path, n)).isFile())
        .sort()
        .map((n) => join(path, n))
    : [path];
  for (const f of files) {
    h.update(f.slice(path.length) + '\0');
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/** The largest `tokens` in the folder's training_log.jsonl (as models/default ships it). */
function trainedTokens(path: string): number | null {
  const log = join(path, 'training_log.jsonl');
  if (!existsSync(log)) return null;
  let most = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const t = (JSON.parse(line) as { tokens?: number }).tokens;
    if (typeof t === 'number' && t > most) most = t;
  }
  return most || null;
}

export function modelFacts(path: string, weights: ModelWeights): ModelFacts {
  return {
    path,
    fingerprint: modelFingerprint(path),
    parameters: parameterCount(weights),
    config: weights.config,
    trainedTokens: trainedTokens(path),
  };
}

export function machineFacts(): MachineFacts {
  const c = cpus();
  return {
    cores: c.length,
    cpu: c[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    os: `${osType()} ${release()}`,
    node: process.version,
    loadAverage: loadavg()[0],
  };
}
