// Finding 6: healing by distillation from the unpruned model against the paper's methods, at equal
// token budgets (finding 4's), each method's learning rate tuned first on a small grid by its final
// validation loss. Two settings: held-out text (none, LoRA, CPT, CPT⇒LoRA, KD, KD (LoRA) on the
// training text of finding 4) and data-free (CPT and KD on text sampled from the original model).
// Then the top-K teacher (cached on disk) against the full vocabulary: time, perplexity, agreement.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel, llamaForward } from '../../src/model/llama-forward.js';
import { LlamaInference } from '../../src/model/inference.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { drawSelfSamples, SELF_HEAL_TEXT, writeSelfSamples } from '../../src/pipeline/stages/self-samples.js';
import { klDivergence, topKLogProbs } from '../../src/tensor/ops/kl-divergence.js';
import { noGrad } from '../../src/tensor/tape.js';
import { sequenceStartToken } from '../../src/text/tokenizer.js';
import type { FindingsContext, PerplexityByText } from './context.js';
import type { Trained, TrainKind } from './healing.js';
import { healBudget, merged, train } from './healing.js';
import { depthPruned } from './pruned-models.js';
import type { DepthPruneRecord, PrunedModel } from './pruned-models.js';

export type DistillMethod = 'none' | 'LoRA' | 'CPT' | 'CPT⇒LoRA' | 'KD' | 'KD (LoRA)';
export const DISTILL_METHODS: DistillMethod[] = ['none', 'LoRA', 'CPT', 'CPT⇒LoRA', 'KD', 'KD (LoRA)'];

export interface GridPoint {
  lr: number;
  /** Final validation loss (next-token cross-entropy on the held-back rows); null when it diverged. */
  valLoss: number | null;
  diverged: boolean;
  /** Training seconds by the run's own log. */
  seconds: number | null;
}

export interface LrGrid {
  method: DistillMethod;
  points: GridPoint[];
  chosen: number;
}

export interface MethodResult {
  method: DistillMethod;
  /** Peak learning rate of each run (CPT⇒LoRA: CPT's, then LoRA's). */
  lr: number[];
  tokens: number;
  steps: number[];
  /** Training seconds, all runs together, by their logs. */
  seconds: number;
  valLoss: number | null;
  ppl: PerplexityByText;
}

export interface DistillSetting {
  ratio: string;
  setting: 'held-out' | 'data-free';
  /** The training text. */
  data: string;
  removed: number[];
  parameters: number;
  grids: LrGrid[];
  methods: MethodResult[];
}

export interface SelfSampleText {
  file: string;
  sequences: number;
  seqLen: number;
  seed: number;
  seconds: number;
}

export interface TopKRun {
  seconds: number;
  valLoss: number | null;
  ppl: PerplexityByText;
}

export interface TopKComparison {
  ratio: string;
  k: number;
  lr: number;
  full: TopKRun;
  /** The first run with an empty cache: the teacher runs and every row's top-K is written. */
  cold: TopKRun;
  /** The same run again on the filled cache: no teacher forward at all. */
  warm: TopKRun;
  warmSameLoss: boolean;
  /** Mean KL of the full-KD student from the teacher on held-out segments: full vocabulary and top-K + rest. */
  kl: { segments: number; full: number; topK: number };
}

export interface DistillFinding {
  criterion: string;
  budget: number;
  tokensPerStep: number;
  seqLen: number;
  grid: number[];
  extend: number;
  heldOut: DistillSetting[];
  selfSamples: SelfSampleText | null;
  dataFree: DistillSetting[];
  topK: TopKComparison | null;
}

const round = (x: number) => Number(x.toPrecision(4));
const LORA_KINDS = new Set<TrainKind>(['lora', 'kd-lora']);

interface Base {
  folder: string;
  hash: string;
}

/** A run's figures for the grid table. */
function point(t: Trained): GridPoint {
  return {
    lr: t.run.settings.lr,
    valLoss: t.run.diverged ? null : t.run.summary.last_val_loss,
    diverged: t.run.diverged === true,
    seconds: t.run.elapsedS ?? null,
  };
}

/**
 * The grid around `centre` (its multiples by --lr-grid), extended by doublings or halvings while the
 * best rate sits at an end (at most --lr-grid-extend more runs); the best by final validation loss.
 */
async function tune(
  ctx: FindingsContext,
  method: DistillMethod,
  kind: TrainKind,
  base: Base,
  tokens: number,
  centre: number,
  o: { data: string; teacher?: Base; tag: string },
): Promise<{ grid: LrGrid; best: Trained }> {
  const runs = new Map<number, Trained>();
  const runAt = async (lr: number) => {
    if (runs.has(lr)) return;
    const t = await train(ctx, kind, base, tokens, `${o.tag} ${method} lr ${lr}`, {
      lr,
      data: o.data,
      // Only distillation has a teacher: cpt and lora runs keep finding 4's keys and are shared with it.
      teacher: kind === 'kd' || kind === 'kd-lora' ? o.teacher : undefined,
    });
    runs.set(lr, t);
  };
  for (const f of ctx.settings.lrGrid) await runAt(round(centre * f));
  const best = (): number => {
    let bestLr = NaN;
    let bestLoss = Infinity;
    for (const [lr, t] of runs) {
      const v = point(t).valLoss;
      if (v !== null && Number.isFinite(v) && v < bestLoss) [bestLr, bestLoss] = [lr, v];
    }
    return bestLr;
  };
  for (let extra = 0; extra < ctx.settings.lrGridExtend; extra++) {
    const lrs = [...runs.keys()].sort((a, b) => a - b);
    const b = best();
    if (Number.isNaN(b)) break;
    if (b === lrs[0] && lrs.length > 1) await runAt(round(b / 2));
    else if (b === lrs[lrs.length - 1] && lrs.length > 1) await runAt(round(b * 2));
    else break;
  }
  const chosen = best();
  if (Number.isNaN(chosen)) throw new Error(`${o.tag} ${method}: every learning rate of the grid diverged`);
  const points = [...runs.values()].map(point).sort((a, b) => a.lr - b.lr);
  return { grid: { method, points, chosen }, best: runs.get(chosen)! };
}

/** The healed model of one run: the run folder itself, or its adapter merged into the base. */
async function healedModel(ctx: FindingsContext, base: Base, t: Trained, kind: TrainKind, label: string) {
  return LORA_KINDS.has(kind) ? merged(ctx, base, t, label) : { folder: t.folder, hash: t.hash };
}

function resultOf(method: DistillMethod, runs: Trained[], ppl: PerplexityByText): MethodResult {
  const last = runs[runs.length - 1].run.summary;
  return {
    method,
    lr: runs.map((r) => r.run.settings.lr),
    tokens: runs.reduce((a, r) => a + r.run.summary.tokens, 0),
    steps: runs.map((r) => r.run.summary.steps),
    seconds: runs.reduce((a, r) => a + (r.run.elapsedS ?? r.run.seconds), 0),
    valLoss: last.last_val_loss,
    ppl,
  };
}

async function setting(
  ctx: FindingsContext,
  pruned: PrunedModel<DepthPruneRecord>,
  ratio: string,
  kind: 'held-out' | 'data-free',
  data: string,
  teacher: Base,
): Promise<DistillSetting> {
  const s = ctx.settings;
  const { tokens: B, half } = healBudget(ctx);
  const tag = `F6 ${ratio}${kind === 'data-free' ? ' self-samples' : ''}`;
  const grids: LrGrid[] = [];
  const methods: MethodResult[] = [
    {
      method: 'none',
      lr: [],
      tokens: 0,
      steps: [],
      seconds: 0,
      valLoss: null,
      ppl: await ctx.pplWithout(pruned.record.removed, `${tag} perplexity, no healing`),
    },
  ];
  const plan: [DistillMethod, TrainKind, number][] =
    kind === 'held-out'
      ? [
          ['LoRA', 'lora', s.loraLr],
          ['CPT', 'cpt', s.cptLr],
          ['KD', 'kd', s.kdLr],
          ['KD (LoRA)', 'kd-lora', s.kdLoraLr],
        ]
      : [
          ['CPT', 'cpt', s.cptLr],
          ['KD', 'kd', s.kdLr],
        ];
  const chosen = new Map<DistillMethod, number>();
  for (const [method, trainKind, centre] of plan) {
    const { grid, best } = await tune(ctx, method, trainKind, pruned, B, centre, { data, teacher, tag });
    grids.push(grid);
    chosen.set(method, grid.chosen);
    const model = await healedModel(ctx, pruned, best, trainKind, `${tag} ${method}`);
    methods.push(
      resultOf(
        method,
        [best],
        await ctx.pplOfFolder(model.folder, model.hash, `${tag} perplexity after ${method}`),
      ),
    );
  }
  if (kind === 'held-out') {
    // CPT⇒LoRA: half the steps of CPT at CPT's tuned rate, the rest LoRA at LoRA's.
    const cptHalf = await train(ctx, 'cpt', pruned, half, `${tag} CPT⇒LoRA: CPT`, {
      lr: chosen.get('CPT'),
      data,
    });
    const thenLora = await train(ctx, 'lora', cptHalf, B - half, `${tag} CPT⇒LoRA: LoRA`, {
      lr: chosen.get('LoRA'),
      data,
    });
    const both = await merged(ctx, cptHalf, thenLora, `${tag} CPT⇒LoRA`);
    methods.splice(
      3,
      0,
      resultOf(
        'CPT⇒LoRA',
        [cptHalf, thenLora],
        await ctx.pplOfFolder(both.folder, both.hash, `${tag} perplexity after CPT⇒LoRA`),
      ),
    );
  }
  return {
    ratio,
    setting: kind,
    data,
    removed: pruned.record.removed,
    parameters: pruned.record.parameters_after,
    grids,
    methods,
  };
}

/** Text sampled from the original model (temperature 1), one document per sequence: the data-free healing text. */
async function selfSampleText(ctx: FindingsContext): Promise<SelfSampleText> {
  const { tokens, seqLen } = healBudget(ctx);
  // The budget, the 16 validation rows and a margin for what re-tokenizing the decoded text changes.
  const sequences = Math.ceil((tokens / (seqLen - 1)) * 1.03) + 16;
  const seed = 4242;
  const r = await ctx.cache.run(
    'self-samples',
    `F6 ${sequences} self-samples of ${seqLen} tokens`,
    { model: ctx.model.fingerprint, sequences, seqLen, seed },
    (out) => {
      mkdirSync(out, { recursive: true });
      const t0 = performance.now();
      const samples = drawSelfSamples(
        new LlamaInference(ctx.weights, ctx.model.path),
        sequenceStartToken(ctx.tokenizer),
        { calib: 0, eval: 0, heal: sequences },
        seqLen,
        seed,
        () => {},
      );
      writeSelfSamples(out, samples, ctx.tokenizer);
      return {
        file: join(out, SELF_HEAL_TEXT),
        sequences,
        seqLen,
        seed,
        seconds: (performance.now() - t0) / 1000,
      };
    },
    (x) => existsSync(x.file),
  );
  return r.result;
}

/** Mean KL of `studentFolder` from the original on the first held-out segments: full vocabulary and top-K. */
function klAgreement(ctx: FindingsContext, studentFolder: string, k: number): TopKComparison['kl'] {
  const text = ctx.settings.evalTexts[0];
  const segments = ctx.meter.segmentsOf(text).slice(0, 16);
  const T = segments[0].length;
  const ids = Int32Array.from(segments.flat());
  const B = segments.length;
  const targets = new Int32Array(B * T).fill(0);
  for (let b = 0; b < B; b++) targets[b * T + T - 1] = -1;
  const teacher = noGrad(() => llamaForward(buildModel(ctx.weights), ids, { batch: B, seqLen: T })).logits;
  const studentModel = buildModel(openModel(studentFolder).weights);
  const student = noGrad(() => llamaForward(studentModel, ids, { batch: B, seqLen: T })).logits;
  const N = B * T;
  const V = ctx.weights.config.vocabSize;
  const idx = new Int32Array(N * k);
  const logp = new Float32Array(N * k);
  const logRest = new Float32Array(N);
  topKLogProbs(idx, logp, logRest, teacher.data, N, V, k, 1);
  const full = klDivergence(student, { kind: 'full', logits: teacher.data }, targets, 1);
  const top = klDivergence(student, { kind: 'top-k', k, idx, logp, logRest }, targets, 1);
  return { segments: B, full: full.loss.data[0], topK: top.loss.data[0] };
}

async function topKComparison(
  ctx: FindingsContext,
  pruned: PrunedModel<DepthPruneRecord>,
  ratio: string,
  heldOut: DistillSetting,
  teacher: Base,
): Promise<TopKComparison> {
  const s = ctx.settings;
  const { tokens: B } = healBudget(ctx);
  const k = s.kdTopK;
  const lr = heldOut.grids.find((g) => g.method === 'KD')!.chosen;
  const tag = `F6 ${ratio} top-${k}`;
  const fullRun = heldOut.methods.find((m) => m.method === 'KD')!;
  const full = await train(ctx, 'kd', pruned, B, `${tag} full vocabulary`, { lr, data: s.cptText, teacher });
  const cache = ctx.cache.outputDir('teacher-cache', {
    teacher: teacher.hash,
    data: s.cptText,
    k,
    seqLen: healBudget(ctx).seqLen,
  });
  const run = async (which: 'cold' | 'warm'): Promise<{ t: Trained; r: TopKRun }> => {
    // Each its own run folder: the step key tells them apart; both read and write one cache.
    const t = await train(ctx, 'kd', pruned, B, `${tag} ${which} cache`, {
      lr,
      data: s.cptText,
      teacher,
      topK: { k, cache },
      variant: `${which} cache`,
    });
    const ppl = await ctx.pplOfFolder(t.folder, t.hash, `${tag} perplexity (${which} cache)`);
    return { t, r: { seconds: t.run.elapsedS ?? t.run.seconds, valLoss: t.run.summary.last_val_loss, ppl } };
  };
  const cold = await run('cold');
  const warm = await run('warm');
  const kl = await ctx.cache.run('kd-top-k-agreement', `${tag} KL agreement`, { full: full.hash, k }, () =>
    klAgreement(ctx, full.folder, k),
  );
  return {
    ratio,
    k,
    lr,
    full: { seconds: fullRun.seconds, valLoss: fullRun.valLoss, ppl: fullRun.ppl },
    cold: cold.r,
    warm: warm.r,
    warmSameLoss: cold.t.run.summary.final_loss === warm.t.run.summary.final_loss,
    kl: kl.result,
  };
}

export async function measureDistillation(ctx: FindingsContext): Promise<DistillFinding> {
  const s = ctx.settings;
  const teacher: Base = { folder: ctx.model.path, hash: ctx.model.fingerprint };
  const heldOut: DistillSetting[] = [];
  const pruned = new Map<string, PrunedModel<DepthPruneRecord>>();
  for (const ratio of s.ratios) {
    const p = await depthPruned(ctx, s.healCriterion, ratio);
    pruned.set(ratio, p);
    heldOut.push(await setting(ctx, p, ratio, 'held-out', s.cptText, teacher));
  }
  let selfSamples: SelfSampleText | null = null;
  const dataFree: DistillSetting[] = [];
  if (s.dataFreeRatios.length > 0) {
    selfSamples = await selfSampleText(ctx);
    for (const ratio of s.dataFreeRatios) {
      const p = pruned.get(ratio) ?? (await depthPruned(ctx, s.healCriterion, ratio));
      dataFree.push(await setting(ctx, p, ratio, 'data-free', selfSamples.file, teacher));
    }
  }
  const severe = s.ratios[s.ratios.length - 1];
  const topK = severe
    ? await topKComparison(ctx, pruned.get(severe)!, severe, heldOut[heldOut.length - 1], teacher)
    : null;
  const budget = healBudget(ctx);
  return {
    criterion: s.healCriterion,
    budget: budget.tokens,
    tokensPerStep: budget.perStep,
    seqLen: budget.seqLen,
    grid: s.lrGrid,
    extend: s.lrGridExtend,
    heldOut,
    selfSamples,
    dataFree,
    topK,
  };
}
