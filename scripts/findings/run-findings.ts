// The findings run from start to end: open the model, measure the six findings (each step cached),
// decide the verdicts, render the charts, and write findings.md, findings.json and findings/*.svg.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { openModel } from '../../src/pipeline/open-model.js';
import { renderSvg } from '../../src/report/charts.js';
import { measureBlockScores } from './block-scores.js';
import { calibrationJsonl } from './calibration-file.js';
import {
  blockScoresSpec,
  distillSpec,
  healingSpec,
  lrGridSpec,
  speedupSpec,
  sweepSpec,
  zeroShotSpec,
} from './charts.js';
import { createContext } from './context.js';
import { compareCriteria } from './criteria-compare.js';
import { compareDepthWidth } from './depth-width.js';
import { measureDistillation } from './distillation.js';
import { measureHealing } from './healing.js';
import { machineFacts, modelFacts } from './model-facts.js';
import { PerplexityMeter } from './perplexity-meter.js';
import { measureSweep } from './perplexity-sweep.js';
import { formatSeconds, progressLog } from './progress-log.js';
import { checkPerplexityProtocol } from './protocol-check.js';
import type { ChartFiles, FindingsResults } from './report.js';
import { findingsMarkdown } from './report.js';
import type { FindingsSettings } from './settings.js';
import { StepCache } from './step-cache.js';
import {
  blockScoreVerdicts,
  criteriaVerdicts,
  depthWidthVerdicts,
  distillVerdicts,
  healingVerdicts,
  sweepVerdicts,
} from './verdicts.js';

/** Paths from the command line are relative to where the script was started; children run in the repo root. */
function absolutePaths(s: FindingsSettings): FindingsSettings {
  const abs = (p: string) => (p === '' || isAbsolute(p) ? p : resolve(p));
  return {
    ...s,
    model: abs(s.model),
    work: abs(s.work),
    docs: abs(s.docs),
    calibText: abs(s.calibText),
    evalTexts: s.evalTexts.map((t) => ({ ...t, file: abs(t.file) })),
    tasksDir: abs(s.tasksDir),
    cptText: abs(s.cptText),
    loraData: abs(s.loraData),
  };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export async function runFindings(raw: FindingsSettings, argv: string[]): Promise<void> {
  const settings = absolutePaths(raw);
  const log = progressLog();
  const machine = machineFacts();
  log(`model ${settings.model}, work folder ${settings.work}${settings.quick ? ' (quick)' : ''}`);
  const cache = new StepCache(settings.work, log);
  const opened = openModel(settings.model);
  const model = modelFacts(settings.model, opened.weights);
  const calibration = calibrationJsonl(settings.calibText, settings.work);
  const meter = new PerplexityMeter(
    opened.tokenizer,
    settings.evalTexts,
    settings.pplSeqLen,
    settings.pplTokens,
  );
  const ctx = createContext({
    settings,
    cache,
    log,
    model,
    weights: opened.weights,
    tokenizer: opened.tokenizer,
    meter,
    calibFile: calibration.file,
  });

  const protocol = await checkPerplexityProtocol(ctx);
  const blockScores = await measureBlockScores(ctx);
  const sweep = await measureSweep(ctx, blockScores);
  const criteria = await compareCriteria(ctx, blockScores);
  const healing = await measureHealing(ctx);
  const depthWidth = await compareDepthWidth(ctx);
  const distill = await measureDistillation(ctx);

  const texts = settings.evalTexts;
  const results: FindingsResults = {
    generated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    argv,
    settings,
    model,
    machine,
    calibration,
    time: {
      thisRunSeconds: log.elapsed(),
      allStepsSeconds: cache.records.reduce((a, r) => a + r.seconds, 0),
      stepsRun: cache.records.filter((r) => !r.cached).length,
      stepsCached: cache.records.filter((r) => r.cached).length,
    },
    protocol,
    blockScores,
    sweep,
    criteria,
    healing,
    depthWidth,
    distill,
    verdicts: {
      blockScores: blockScoreVerdicts(blockScores),
      sweep: sweepVerdicts(sweep, texts),
      criteria: criteriaVerdicts(criteria, texts, settings.ratios),
      healing: healingVerdicts(healing, texts),
      depthWidth: depthWidthVerdicts(depthWidth, texts, settings.ratios),
      distill: distillVerdicts(distill, texts),
    },
  };

  const chartDir = join(settings.docs, 'findings');
  mkdirSync(chartDir, { recursive: true });
  const charts: ChartFiles = {
    scores: 'findings/block-scores.svg',
    sweep: Object.fromEntries(texts.map((t) => [t.name, `findings/sweep-${t.name}.svg`])),
    zeroshot: 'findings/zero-shot.svg',
    healing: 'findings/healing.svg',
    speedup: 'findings/speedup.svg',
    distill: 'findings/distillation.svg',
    lrGrid: 'findings/lr-grids.svg',
  };
  const specs: [string, Parameters<typeof renderSvg>[0]][] = [
    [charts.scores, blockScoresSpec(blockScores)],
    ...texts.map((t): [string, Parameters<typeof renderSvg>[0]] => [
      charts.sweep[t.name],
      sweepSpec(sweep, t),
    ]),
    [charts.zeroshot, zeroShotSpec(criteria)],
    [charts.healing, healingSpec(healing, texts)],
    [charts.speedup, speedupSpec(depthWidth)],
    [charts.distill, distillSpec(distill, texts)],
    [charts.lrGrid, lrGridSpec(distill)],
  ];
  for (const [file, spec] of specs) writeAtomic(join(settings.docs, file), await renderSvg(spec));
  const steps = cache.records.map(({ kind, hash, key, seconds, cached }) => ({
    kind,
    hash,
    key,
    seconds,
    cached,
  }));
  writeAtomic(join(settings.docs, 'findings.json'), JSON.stringify({ ...results, steps }, null, 1) + '\n');
  writeAtomic(join(settings.docs, 'findings.md'), findingsMarkdown(results, charts));
  log(
    `wrote ${join(settings.docs, 'findings.md')} (+ findings.json, ${specs.length} charts) in ${formatSeconds(log.elapsed())}`,
  );
}
