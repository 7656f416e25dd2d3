// The one training loop behind LoRA, continued pretraining, pretraining and distillation: seeded
// data order, micro-batches with gradient accumulation, AdamW, clipping, a warmup+decay schedule,
// budgets, evaluation, checkpoints with exact resume, a JSONL log and a progress line on a terminal.
// What a micro-batch's loss is (next-token cross-entropy unless an objective says otherwise) is
// the one thing the methods change.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { llamaForward } from '../model/llama-forward.js';
import type { LlamaModel } from '../model/llama-forward.js';
import { Tape } from '../tensor/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainingExample } from '../text/packing.js';
import { AdamW, clipGradients, globalGradNorm } from './adamw.js';
import type { AdamWOptions } from './adamw.js';
import {
  checkpointName,
  loadCheckpoint,
  pruneCheckpoints,
  resolveCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
import type { TrainingState } from './checkpoint.js';
import { TrainingRng, seededPermutation } from './rng.js';
import { learningRate } from './schedule.js';
import type { DecayKind } from './schedule.js';

export interface TrainBudget {
  /** Passes over the training rows (may be fractional). */
  epochs: number;
  maxSteps?: number;
  maxTokens?: number;
}

export interface TrainLoopOptions {
  model: LlamaModel;
  /** Trainable tensors by the name they are saved under. */
  params: Map<string, Tensor>;
  train: TrainingExample[];
  val: TrainingExample[];
  /** Rows per optimizer step, reached through micro-batches and accumulation. */
  batchSize: number;
  microBatch: number;
  budget: TrainBudget;
  lr: number;
  warmupSteps: number;
  decay: DecayKind;
  minLrRatio?: number;
  adam: AdamWOptions;
  /** Clip the global gradient norm to this (0: no clipping). */
  maxGradNorm: number;
  seed: number;
  /** Use the random source for LoRA dropout. */
  dropout: boolean;
  saveEvery: number;
  evalEvery: number;
  /** Run folder: checkpoints/ and train_log.jsonl go here. */
  outDir: string;
  /** A checkpoint folder or run folder to continue from. */
  resume?: string;
  skipNonfinite?: boolean;
  keepCheckpoints?: number;
  /** Settings stored in checkpoints; a resume must match them. */
  run: Record<string, unknown>;
  /** Writes the best model so far (by validation loss) into the given folder. */
  exportBest?: (dir: string) => void;
  /** Called after each step (tests throw here to simulate a killed run). */
  onStep?: (record: StepRecord) => void;
  /** Progress line on stderr. */
  progress?: boolean;
  /** The loss of a micro-batch; default: next-token cross-entropy. */
  objective?: TrainObjective;
}

/** A micro-batch's loss, for a method other than plain next-token cross-entropy (distillation). */
export interface TrainObjective {
  /** The micro-batch's loss, a mean over its scored tokens (recorded on the tape when one runs). */
  microBatchLoss(
    model: LlamaModel,
    mb: MicroBatch,
    o: { tape?: Tape; loraDropout?: () => number },
  ): ObjectiveLoss;
  /** Figures logged beside the validation loss (cross-entropy), e.g. `val_kl`. */
  validate?(model: LlamaModel, rows: TrainingExample[], microBatch: number): Partial<StepRecord>;
}

export interface ObjectiveLoss {
  loss: Tensor;
  /** Σ of the per-token loss over the scored tokens (loss × scored), in float64. */
  lossSum: number;
  /** Σ next-token NLL over the scored tokens. */
  nllSum: number;
  /** Σ over the scored tokens of each logged term, e.g. { kl: Σ KL }; the log gets their means. */
  terms: Record<string, number>;
}

export interface StepRecord {
  step: number;
  tokens: number;
  /** The loss the step minimized (mean over its scored tokens). */
  loss: number;
  lr: number;
  grad_norm: number;
  tokens_per_s: number;
  /** Seconds since the run started, across resumes (the steps a kill lost count once). */
  elapsed_s?: number;
  /** With an objective other than cross-entropy: its next-token cross-entropy term. */
  ce?: number;
  /** Distillation: the mean KL(teacher ‖ student) term (before T² and alpha). */
  kl?: number;
  /** Mean next-token cross-entropy on the validation rows. */
  val_loss?: number;
  val_kl?: number;
  skipped?: boolean;
}

export interface TrainResult {
  steps: number;
  tokens: number;
  records: StepRecord[];
  bestValLoss: number | null;
  firstValLoss: number | null;
  lastValLoss: number | null;
}

export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

export const TRAIN_LOG = 'train_log.jsonl';

export interface MicroBatch {
  /** The rows it was made of, in order. */
  rows: TrainingExample[];
  ids: Int32Array;
  targets: Int32Array;
  paddingMask: Uint8Array | undefined;
  batch: number;
  seqLen: number;
  scored: number;
  tokens: number;
}

/** Rows right-padded to the longest one; padding is masked from attention and the loss. */
export function collate(rows: TrainingExample[]): MicroBatch {
  const seqLen = Math.max(...rows.map((r) => r.ids.length));
  const ids = new Int32Array(rows.length * seqLen);
  const targets = new Int32Array(rows.length * seqLen).fill(-1);
  let padded = false;
  const mask = new Uint8Array(rows.length * seqLen);
  let scored = 0;
  let tokens = 0;
  rows.forEach((r, b) => {
    ids.set(r.ids, b * seqLen);
    targets.set(r.targets, b * seqLen);
    tokens += r.ids.length;
    for (const t of r.targets) if (t >= 0) scored++;
    if (r.ids.length < seqLen) {
      padded = true;
      mask.fill(1, b * seqLen + r.ids.length, (b + 1) * seqLen);
    }
  });
  return {
    rows,
    ids,
    targets,
    paddingMask: padded ? mask : undefined,
    batch: rows.length,
    seqLen,
    scored,
    tokens,
  };
}

/** Mean next-token loss over the scored positions of `rows`, with no tape and no dropout. */
export function evaluateLoss(model: LlamaModel, rows: TrainingExample[], microBatch: number): number {
  let nll = 0;
  let count = 0;
  for (let i = 0; i < rows.length; i += microBatch) {
    const mb = collate(rows.slice(i, i + microBatch));
    if (mb.scored === 0) continue;
    const r = llamaForward(model, mb.ids, {
      batch: mb.batch,
      seqLen: mb.seqLen,
      paddingMask: mb.paddingMask,
      targets: mb.targets,
    });
    nll += r.nllSum!;
    count += r.tokenCount!;
  }
  return count > 0 ? nll / count : NaN;
}

function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  return seededPermutation(n, (Math.imul(seed >>> 0, 0x9e3779b1) + epoch) >>> 0);
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/** The number of optimizer steps the budget allows (the schedule's length). */
export function plannedSteps(o: Pick<TrainLoopOptions, 'train' | 'batchSize' | 'budget'>): number {
  const n = o.train.length;
  const perEpoch = Math.ceil(n / o.batchSize);
  let steps = Math.ceil(o.budget.epochs * perEpoch);
  if (o.budget.maxSteps !== undefined) steps = Math.min(steps, o.budget.maxSteps);
  if (o.budget.maxTokens !== undefined) {
    let total = 0;
    for (const r of o.train) total += r.ids.length;
    const perStep = (total / Math.max(1, n)) * Math.min(o.batchSize, n);
    steps = Math.min(steps, Math.ceil(o.budget.maxTokens / Math.max(1, perStep)));
  }
  return Math.max(0, steps);
}

/** Next-token cross-entropy: the loss of every method but distillation. */
const crossEntropyObjective: TrainObjective = {
  microBatchLoss(model, mb, { tape, loraDropout }) {
    const r = llamaForward(model, mb.ids, {
      batch: mb.batch,
      seqLen: mb.seqLen,
      paddingMask: mb.paddingMask,
      targets: mb.targets,
      tape,
      loraDropout,
    });
    return { loss: r.loss!, lossSum: r.nllSum!, nllSum: r.nllSum!, terms: {} };
  },
};

export function trainLoop(o: TrainLoopOptions): TrainResult {
  if (o.train.length === 0) throw new Error('training: no training rows');
  if (o.batchSize % o.microBatch !== 0)
    throw new RangeError(`--batch-size ${o.batchSize} must be a multiple of --micro-batch ${o.microBatch}`);
  const total = plannedSteps(o);
  // A warmup as long as the run never reaches the peak learning rate: say so, once, on stderr.
  if (o.warmupSteps >= total && total > 0)
    process.stderr.write(
      `shorten: warning: --warmup-steps ${o.warmupSteps} is not shorter than the run's ${total} steps; the learning rate never reaches --lr\n`,
    );
  const objective = o.objective ?? crossEntropyObjective;
  const adam = new AdamW(o.params, o.adam);
  const rng = new TrainingRng(o.seed);
  const ckptDir = join(o.outDir, 'checkpoints');
  const logPath = join(o.outDir, TRAIN_LOG);
  mkdirSync(o.outDir, { recursive: true });
  let state: TrainingState = {
    step: 0,
    tokens: 0,
    epoch: 0,
    offset: 0,
    rng: rng.state,
    bestValLoss: null,
    elapsedS: 0,
    run: o.run,
  };
  let records: StepRecord[] = [];
  if (o.resume) {
    const dir = resolveCheckpoint(o.resume);
    state = loadCheckpoint(dir, o.params, adam);
    const a = JSON.stringify(state.run);
    const b = JSON.stringify(o.run);
    if (a !== b)
      throw new Error(
        `--resume ${dir}: the run's settings differ from the checkpoint's:\n  checkpoint ${a}\n  now        ${b}`,
      );
    rng.state = state.rng;
    // Keep the log up to the checkpoint; steps after it are about to be redone.
    if (existsSync(logPath)) {
      records = readFileSync(logPath, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as StepRecord)
        .filter((r) => r.step <= state.step);
    }
  }
  writeFileSync(logPath, records.map((r) => JSON.stringify(r) + '\n').join(''));

  const n = o.train.length;
  let order = epochOrder(n, o.seed, state.epoch);
  let firstValLoss: number | null = null;
  let lastValLoss: number | null = null;
  const tStart = performance.now();
  const elapsedBefore = state.elapsedS ?? 0;
  const startStep = state.step;
  let bestValLoss = state.bestValLoss;

  const evaluate = (): Partial<StepRecord> => {
    const v = evaluateLoss(o.model, o.val, o.microBatch);
    lastValLoss = v;
    if (firstValLoss === null) firstValLoss = v;
    if (Number.isFinite(v) && (bestValLoss === null || v < bestValLoss)) {
      bestValLoss = v;
      o.exportBest?.(join(o.outDir, 'best'));
    }
    return { val_loss: v, ...o.objective?.validate?.(o.model, o.val, o.microBatch) };
  };
  if (o.val.length > 0 && !o.resume) firstValLoss = evaluateLoss(o.model, o.val, o.microBatch);

  const reachedTokens = (): boolean => o.budget.maxTokens !== undefined && state.tokens >= o.budget.maxTokens;
  while (state.step < total && !reachedTokens()) {
    const t0 = performance.now();
    // This step's rows, continuing into the next epoch's order when one ends.
    const rows: TrainingExample[] = [];
    const take = Math.min(o.batchSize, n - state.offset);
    for (let i = 0; i < take; i++) rows.push(o.train[order[state.offset + i]]);
    state.offset += take;
    if (state.offset >= n) {
      state.epoch++;
      state.offset = 0;
      order = epochOrder(n, o.seed, state.epoch);
    }
    const micro: MicroBatch[] = [];
    for (let i = 0; i < rows.length; i += o.microBatch) micro.push(collate(rows.slice(i, i + o.microBatch)));
    const scored = micro.reduce((s, m) => s + m.scored, 0);
    let lossSum = 0;
    let nll = 0;
    const terms: Record<string, number> = {};
    let stepTokens = 0;
    for (const mb of micro) {
      stepTokens += mb.tokens;
      if (mb.scored === 0) continue;
      const tape = new Tape();
      const r = objective.microBatchLoss(o.model, mb, {
        tape,
        loraDropout: o.dropout ? rng.next : undefined,
      });
      lossSum += r.lossSum;
      nll += r.nllSum;
      for (const [k, v] of Object.entries(r.terms)) terms[k] = (terms[k] ?? 0) + v;
      // The step's loss is the mean over every scored token of the step, across micro-batches.
      tape.backward(r.loss, [mb.scored / scored]);
    }
    const loss = scored > 0 ? lossSum / scored : NaN;
    const norm = globalGradNorm(o.params);
    const lr = learningRate(state.step, {
      peak: o.lr,
      warmupSteps: o.warmupSteps,
      totalSteps: total,
      decay: o.decay,
      minRatio: o.minLrRatio,
    });
    let skipped = false;
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
      const what = !Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${norm}`;
      if (!o.skipNonfinite)
        throw new NonFiniteError(
          `step ${state.step + 1}: ${what}; stopped without writing a checkpoint (lower --lr, or pass --skip-nonfinite to skip such steps)`,
        );
      skipped = true;
    } else {
      clipGradients(o.params, norm, o.maxGradNorm);
      adam.update(lr);
    }
    for (const p of o.params.values()) p.zeroGrad();
    state.step++;
    state.tokens += stepTokens;
    state.rng = rng.state;
    const seconds = (performance.now() - t0) / 1000;
    const record: StepRecord = {
      step: state.step,
      tokens: state.tokens,
      loss,
      lr,
      grad_norm: norm,
      tokens_per_s: stepTokens / Math.max(seconds, 1e-9),
    };
    if (o.objective && scored > 0) {
      record.ce = nll / scored;
      for (const [k, v] of Object.entries(terms))
        (record as unknown as Record<string, number>)[k] = v / scored;
    }
    if (skipped) record.skipped = true;
    const last = state.step >= total || reachedTokens();
    if (o.val.length > 0 && ((o.evalEvery > 0 && state.step % o.evalEvery === 0) || last))
      Object.assign(record, evaluate());
    state.bestValLoss = bestValLoss;
    state.elapsedS = elapsedBefore + (performance.now() - tStart) / 1000;
    record.elapsed_s = state.elapsedS;
    records.push(record);
    appendFileSync(logPath, JSON.stringify(record) + '\n');
    if ((o.saveEvery > 0 && state.step % o.saveEvery === 0) || last) {
      saveCheckpoint(join(ckptDir, checkpointName(state.step)), o.params, adam, state);
      pruneCheckpoints(ckptDir, o.keepCheckpoints ?? 3);
    }
    if (o.progress) {
      const elapsed = (performance.now() - tStart) / 1000;
      const eta = (elapsed / (state.step - startStep)) * (total - state.step);
      process.stderr.write(
        `\rstep ${state.step}/${total} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} ` +
          `${Math.round(record.tokens_per_s)} tok/s ETA ${formatDuration(eta)}` +
          (record.val_loss !== undefined ? ` val ${record.val_loss.toFixed(4)}` : '') +
          '   ',
      );
    }
    o.onStep?.(record);
  }
  if (o.progress) process.stderr.write('\n');
  return {
    steps: state.step,
    tokens: state.tokens,
    records,
    bestValLoss,
    firstValLoss,
    lastValLoss,
  };
}
