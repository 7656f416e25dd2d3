// Stage 3, heal: LoRA (merged into the weights afterwards), continued pretraining, or distillation
// from the original model (KD) of the pruned model on text: --heal-data, else the calibration file,
// else text sampled from the original model (so KD heals with nothing but the checkpoint).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runDistill } from '../../heal/distill-run.js';
import { runFullTraining } from '../../heal/full-run.js';
import { runLora } from '../../heal/lora-run.js';
import { mergeLora, PAPER_TARGET_MODULES } from '../../heal/lora.js';
import type { RunSettings } from '../../heal/run-settings.js';
import type { HealResult, PruneResult, TextSource } from '../../report/results.js';
import { openModel } from '../open-model.js';
import { readStageResult, stageDir } from '../run-results.js';
import { saveModelWithTokenizer } from '../save-model.js';
import type { RunContext } from './context.js';
import { insideRun } from './context.js';
import { SELF_HEAL_TEXT } from './self-samples.js';

/** The healing text and where it came from. */
function healingData(ctx: RunContext): { files: string[]; source: TextSource } {
  const c = ctx.config;
  if (c['heal-data'])
    return { files: c['heal-data'], source: { kind: 'file', source: c['heal-data'].join(', ') } };
  if (c.calib !== 'self') return { files: [c.calib], source: { kind: 'file', source: c.calib } };
  const file = join(stageDir(ctx.dir, 'score'), SELF_HEAL_TEXT);
  if (!existsSync(file)) throw new Error(`${file}: missing; redo scoring with --force score`);
  return {
    files: [file],
    source: {
      kind: 'self',
      source: 'text sampled from the original model (temperature 1)',
      sequences: c['heal-samples'],
      seqLen: c['seq-len'],
      seed: c.seed + 2,
    },
  };
}

export function healStage(ctx: RunContext): HealResult {
  const t0 = performance.now();
  const c = ctx.config;
  const prune = readStageResult<PruneResult>(ctx.dir, 'prune');
  if (c.heal === 'none')
    return {
      method: 'none',
      data: null,
      steps: 0,
      tokens: 0,
      settings: {},
      log: [],
      firstValLoss: null,
      lastValLoss: null,
      model: null,
      seconds: 0,
    };
  const pruned = openModel(join(ctx.dir, prune.model));
  const { files, source } = healingData(ctx);
  const steps = c['heal-steps'];
  const batchSize = c['heal-batch'];
  const microBatch = Math.min(batchSize, c['heal-micro-batch']);
  if (batchSize % microBatch !== 0)
    throw new RangeError(`--heal-batch ${batchSize} must be a multiple of --heal-micro-batch ${microBatch}`);
  const lr = c['heal-lr'] ?? (c.heal === 'lora' ? 1e-3 : 3e-4);
  const fullParameter = { beta2: 0.95, minLrRatio: 0.1 };
  const runDir = join(stageDir(ctx.dir, 'heal'), 'run');
  const tick = ctx.progress.task(`heal: ${c.heal}`, steps, 'step');
  const run: RunSettings = {
    out: runDir,
    // The step budget decides the length; epochs only bound it.
    epochs: 1e6,
    maxSteps: steps,
    batchSize,
    microBatch,
    seqLen: c['seq-len'],
    lr,
    warmupSteps: Math.round(steps / 10),
    seed: c.seed,
    saveEvery: 0,
    evalEvery: Math.max(1, Math.round(steps / 10)),
    maxGradNorm: 1,
    weightDecay: c.heal === 'lora' ? 0 : 0.1,
    progress: false,
    onStep: (r) => tick(r.step),
  };
  let healedDir: string;
  let result;
  const settings: Record<string, unknown> = { steps, batchSize, microBatch, seqLen: c['seq-len'], lr };
  if (c.heal === 'lora') {
    const lora = {
      r: c['lora-rank'],
      alpha: c['lora-alpha'],
      dropout: 0.05,
      targetModules: PAPER_TARGET_MODULES,
    };
    const r = runLora(pruned.weights, pruned.tokenizer, {
      ...run,
      ...lora,
      data: files,
      trainOnInputs: false,
      base: join(ctx.dir, prune.model),
    });
    ctx.progress.end();
    healedDir = join(stageDir(ctx.dir, 'heal'), 'model');
    saveModelWithTokenizer(mergeLora(pruned.weights, r.adapters), pruned.tokenizer, healedDir, 'hf');
    result = r.result;
    Object.assign(settings, {
      rank: lora.r,
      alpha: lora.alpha,
      dropout: lora.dropout,
      targets: lora.targetModules,
    });
  } else if (c.heal === 'kd') {
    // The teacher is the model the run started from; its kept blocks are the student's, shared.
    const original = ctx.original();
    const r = runDistill(
      { path: join(ctx.dir, prune.model), weights: pruned.weights, tokenizer: pruned.tokenizer },
      { path: ctx.modelPath, weights: original.weights, tokenizer: original.tokenizer },
      { ...run, text: files, alpha: 1, temperature: 1, ...fullParameter },
    );
    ctx.progress.end();
    healedDir = runDir;
    result = r.result;
    Object.assign(settings, {
      teacher: 'the original model',
      alpha: 1,
      temperature: 1,
      vocabulary: 'full',
      beta2: fullParameter.beta2,
      weightDecay: 0.1,
    });
  } else {
    const r = runFullTraining(pruned.weights, pruned.tokenizer, {
      ...run,
      text: files,
      ...fullParameter,
      kind: 'cpt',
    });
    ctx.progress.end();
    healedDir = runDir;
    result = r.result;
    Object.assign(settings, { beta2: fullParameter.beta2, weightDecay: 0.1 });
  }
  return {
    method: c.heal,
    data: source,
    steps: result.steps,
    tokens: result.tokens,
    settings,
    log: result.records,
    firstValLoss: result.firstValLoss,
    lastValLoss: result.lastValLoss,
    model: insideRun(ctx, healedDir),
    seconds: (performance.now() - t0) / 1000,
  };
}
