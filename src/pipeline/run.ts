// `shorten run`: score → prune → heal → evaluate → benchmark → report into one folder. A stage whose
// result.json is there is skipped, so an interrupted run resumes where it stopped; --force redoes one.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { RUN_SETTINGS_FILE } from '../report/build.js';
import { STAGES } from '../report/results.js';
import type { StageName } from '../report/results.js';
import { defaultModelPath } from './default-model.js';
import type { RunConfig } from './run-config.js';
import type { RunProgress } from './run-progress.js';
import { checkRunSettings } from './run-preflight.js';
import { stageDir, stageDone, writeStageResult } from './run-results.js';
import { benchmarkStage } from './stages/benchmark.js';
import { runContext } from './stages/context.js';
import type { RunContext } from './stages/context.js';
import { evaluateStage } from './stages/evaluate.js';
import { healStage } from './stages/heal.js';
import { pruneStage } from './stages/prune.js';
import { reportStage } from './stages/report.js';
import { scoreStage } from './stages/score.js';

const RUNNERS: Record<StageName, (ctx: RunContext) => object | Promise<object>> = {
  score: scoreStage,
  prune: pruneStage,
  heal: healStage,
  evaluate: evaluateStage,
  benchmark: benchmarkStage,
  report: reportStage,
};

export interface StageOutcome {
  stage: StageName;
  status: 'ran' | 'skipped';
  seconds: number;
}

export interface RunOutcome {
  dir: string;
  model: string;
  stages: StageOutcome[];
  report: string;
  summary: string;
}

export function parseStageNames(names: readonly string[]): StageName[] {
  return names.map((n) => {
    if (!(STAGES as readonly string[]).includes(n))
      throw new RangeError(`--force: unknown stage '${n}' (expected one of ${STAGES.join(', ')})`);
    return n as StageName;
  });
}

export async function runPipeline(
  config: RunConfig,
  opts: { force?: readonly StageName[]; progress: RunProgress },
): Promise<RunOutcome> {
  const dir = resolve(config.out);
  const model = config.model ? resolve(config.model) : defaultModelPath();
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, RUN_SETTINGS_FILE), [
    new TextEncoder().encode(JSON.stringify({ ...config, model }, null, 2) + '\n'),
  ]);
  const ctx = runContext(dir, config, model, opts.progress);
  const force = new Set(opts.force ?? []);
  const willRun = new Set(STAGES.filter((s) => force.has(s) || !stageDone(dir, s)));
  if (willRun.size > 0) willRun.add('report');
  checkRunSettings(ctx, willRun);
  const stages: StageOutcome[] = [];
  for (const stage of STAGES) {
    // The report is built from every stage's results: when any of them was redone, so is it, or
    // `--force benchmark` would leave report.html showing the old figures.
    const stale = stage === 'report' && stages.some((s) => s.status === 'ran');
    if (stageDone(dir, stage) && !force.has(stage) && !stale) {
      opts.progress.note(`${stage}: done already (${join(stage, 'result.json')}); skipped`);
      stages.push({ stage, status: 'skipped', seconds: 0 });
      continue;
    }
    opts.progress.note(`${stage}: running`);
    const t0 = performance.now();
    // A stage starts from an empty folder, so nothing half-written by an interrupted try survives.
    rmSync(stageDir(dir, stage), { recursive: true, force: true });
    mkdirSync(stageDir(dir, stage), { recursive: true });
    const result = await RUNNERS[stage](ctx);
    writeStageResult(dir, stage, result);
    const seconds = (performance.now() - t0) / 1000;
    opts.progress.note(`${stage}: done in ${seconds.toFixed(1)} s`);
    stages.push({ stage, status: 'ran', seconds });
  }
  return { dir, model, stages, report: join(dir, 'report.html'), summary: join(dir, 'summary.json') };
}
