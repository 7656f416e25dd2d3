// `shorten report DIR`: reads every stage's result.json from a run folder and writes report.html,
// summary.json and tables/*.csv; the run's last stage calls the same function.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { benchSpec, healLossSpec, importanceSpec, renderSvg, stagesSpec, sweepSpec } from './charts.js';
import { reportHtml } from './html.js';
import type { StageName } from './results.js';
import type { RunResults } from './summary.js';
import { runSummary, runTables } from './summary.js';

export const RUN_SETTINGS_FILE = 'run.json';

function readResult<T>(dir: string, stage: StageName): T {
  const file = join(dir, stage, 'result.json');
  if (!existsSync(file))
    throw new Error(
      `${file}: missing; the ${stage} stage has not finished (run \`shorten run --out ${dir}\`)`,
    );
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function readRunResults(dir: string): RunResults {
  const settingsFile = join(dir, RUN_SETTINGS_FILE);
  const settings = existsSync(settingsFile)
    ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)
    : {};
  return {
    settings,
    score: readResult(dir, 'score'),
    prune: readResult(dir, 'prune'),
    heal: readResult(dir, 'heal'),
    evaluate: readResult(dir, 'evaluate'),
    benchmark: readResult(dir, 'benchmark'),
  };
}

/** Writes the report files into `dir`; returns their paths relative to it. */
export async function buildReport(dir: string): Promise<string[]> {
  const r = readRunResults(dir);
  const charts = {
    importance: await renderSvg(importanceSpec(r.score, r.prune)),
    sweep: await renderSvg(sweepSpec(r.evaluate, r.prune)),
    stages: await renderSvg(stagesSpec(r.evaluate)),
    healLoss: await renderSvg(healLossSpec(r.heal)),
    bench: await renderSvg(benchSpec(r.benchmark)),
  };
  const enc = new TextEncoder();
  const written: string[] = [];
  const put = (name: string, body: string): void => {
    writeFileAtomic(join(dir, name), [enc.encode(body)]);
    written.push(name);
  };
  for (const [name, body] of Object.entries(runTables(r))) put(join('tables', name), body);
  put('summary.json', JSON.stringify(runSummary(r), null, 2) + '\n');
  put('report.html', reportHtml(r, charts));
  return written;
}
