// Stage 1, score: the calibration windows (real text, or sampled from the model with --calib self)
// and each block's importance under the chosen criterion and the comparison criteria.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parameterCount } from '../../prune/cut.js';
import { loadCalibration } from '../../prune/calibration-source.js';
import { scoreUnits } from '../../prune/criteria/index.js';
import { scoresDocument, writeScoreFiles } from '../../prune/score-files.js';
import type { UnitScores } from '../../prune/units.js';
import type { ScoreResult, TextSource } from '../../report/results.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { describeStartToken, sequenceStartToken } from '../../text/sequence-start.js';
import { inferenceOf } from '../open-model.js';
import { stageDir } from '../run-results.js';
import type { RunContext } from './context.js';
import { drawSelfSamples, writeSelfSamples } from './self-samples.js';
import type { SelfSamples } from './self-samples.js';

/** How many sequences each use draws from the model: none where real text was given. */
export function selfSampleCounts(c: RunContext['config']): { calib: number; eval: number; heal: number } {
  const selfCalib = c.calib === 'self';
  return {
    calib: selfCalib ? c['calib-samples'] : 0,
    eval: c['eval-text'] ? 0 : c['eval-samples'],
    heal: c.heal !== 'none' && !c['heal-data'] && selfCalib ? c['heal-samples'] : 0,
  };
}

function selfCalibration(s: SelfSamples): CalibrationSet {
  return {
    source: `self-samples: ${s.calib.length} sequences sampled from the model (temperature 1, seed ${s.seed})`,
    documentStart: s.start ? `${describeStartToken(s.start)}, sampled after` : undefined,
    settings: { samples: s.calib.length, seqLen: s.seqLen, seed: s.seed },
    windows: s.calib.map((tokens, document) => ({ document, start: 0, tokens })),
  };
}

export function scoreStage(ctx: RunContext): ScoreResult {
  const t0 = performance.now();
  const c = ctx.config;
  const out = stageDir(ctx.dir, 'score');
  const m = ctx.original();
  const counts = selfSampleCounts(c);
  let samples: SelfSamples | null = null;
  if (counts.calib + counts.eval + counts.heal > 0) {
    const total = counts.calib + counts.eval + counts.heal;
    const tick = ctx.progress.task('sampling from model', total, 'seq');
    samples = drawSelfSamples(
      inferenceOf(m),
      sequenceStartToken(m.tokenizer),
      counts,
      c['seq-len'],
      c.seed,
      (d) => tick(d),
    );
    ctx.progress.end();
    writeSelfSamples(out, samples, m.tokenizer);
  }
  const calib: CalibrationSet = samples
    ? selfCalibration(samples)
    : loadCalibration(c.calib, m.tokenizer, {
        samples: c['calib-samples'],
        seqLen: c['seq-len'],
        seed: c.seed,
      });
  const calibration: TextSource =
    c.calib === 'self'
      ? {
          kind: 'self',
          source: calib.source,
          sequences: calib.windows.length,
          seqLen: c['seq-len'],
          seed: c.seed,
          start: calib.documentStart,
        }
      : {
          kind: 'file',
          source: c.calib,
          sequences: calib.windows.length,
          seqLen: c['seq-len'],
          seed: c.seed,
          start: calib.documentStart,
        };
  const criteria = [c.criterion, ...c.compare.filter((k) => k !== c.criterion)];
  const scores: UnitScores[] = [];
  for (const criterion of [...new Set(criteria)]) {
    ctx.progress.note(`score: ${criterion}`);
    let tick: ((done: number) => void) | null = null;
    const s = scoreUnits(m.weights, calib, {
      criterion,
      unit: 'block',
      onProgress: (done, total) => {
        tick ??= ctx.progress.task(`score: ${criterion}`, total, 'step');
        tick(done);
      },
    });
    ctx.progress.end();
    scores.push(s);
    writeScoreFiles(
      join(out, criterion),
      scoresDocument(ctx.modelPath, { criterion, unit: 'block', iterative: false, calib: c.calib }, s),
      s,
      calib,
    );
  }
  return {
    model: ctx.modelPath,
    blocks: m.weights.config.numLayers,
    parameters: parameterCount(m.weights),
    calibration,
    scores,
    selfSamples: samples
      ? {
          calib: samples.calib.length,
          eval: samples.eval.length,
          heal: samples.heal.length,
          seqLen: samples.seqLen,
          seed: samples.seed,
        }
      : null,
    seconds: (performance.now() - t0) / 1000,
  };
}
