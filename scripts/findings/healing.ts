// Finding 4: healing the pruned models at each ratio with none, LoRA, CPT and CPT⇒LoRA at one token
// budget (`shorten lora | cpt --max-tokens`, CPT⇒LoRA half each), then perplexity. LoRA adapters
// are folded in with `shorten merge`. A killed training run resumes from its last checkpoint.
// The training step here also serves finding 6 (distillation, other learning rates and texts).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FindingsContext, PerplexityByText } from './context.js';
import type { DepthPruneRecord, PrunedModel } from './pruned-models.js';
import { depthPruned } from './pruned-models.js';

/** What `shorten cpt | lora --json` prints. */
export interface TrainSummary {
  kind: string;
  steps: number;
  tokens: number;
  final_loss: number;
  first_val_loss: number | null;
  last_val_loss: number | null;
}

/** `shorten cpt`, `lora`, `distill` and `distill --lora`. */
export type TrainKind = 'cpt' | 'lora' | 'kd' | 'kd-lora';

export interface TrainingRun {
  kind: TrainKind;
  summary: TrainSummary;
  /** Seconds of the step; of its last part only when it was resumed after a kill. */
  seconds: number;
  /** Seconds the training took by its own log, all parts of a resumed run together (null: not logged). */
  elapsedS?: number | null;
  resumed: boolean;
  /** The run stopped on a non-finite loss or gradient (too high a learning rate): no model. */
  diverged?: boolean;
  settings: {
    maxTokens: number;
    lr: number;
    warmupSteps: number;
    batch: number;
    microBatch: number;
    seqLen: number;
    data: string;
  };
}

export interface HealedModel {
  method: 'none' | 'LoRA' | 'CPT' | 'CPT⇒LoRA';
  runs: TrainingRun[];
  /** Tokens trained on, all runs together. */
  tokens: number;
  ppl: PerplexityByText;
}

export interface HealingAtRatio {
  ratio: string;
  removed: number[];
  parameters: number;
  methods: HealedModel[];
}

export interface HealingFinding {
  criterion: string;
  /** --heal-tokens as given. */
  requested: number;
  /** Tokens each method trained on: the request rounded to whole steps. */
  budget: number;
  tokensPerStep: number;
  seqLen: number;
  ratios: HealingAtRatio[];
}

const VAL_ROWS = 16;

export interface Trained {
  folder: string;
  hash: string;
  run: TrainingRun;
}

function lastLogLine(dir: string): string | null {
  const log = join(dir, 'train_log.jsonl');
  if (!existsSync(log)) return null;
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  try {
    const r = JSON.parse(lines[lines.length - 1]) as { step: number; tokens: number; loss: number };
    return `step ${r.step}, ${r.tokens} tokens, loss ${r.loss.toFixed(3)}`;
  } catch {
    return null;
  }
}

/** The last `elapsed_s` of a run's log: its training time across resumes. */
function loggedElapsed(dir: string): number | null {
  const log = join(dir, 'train_log.jsonl');
  if (!existsSync(log)) return null;
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  try {
    const r = JSON.parse(lines[lines.length - 1]) as { elapsed_s?: number };
    return r.elapsed_s ?? null;
  } catch {
    return null;
  }
}

function hasCheckpoint(dir: string): boolean {
  const c = join(dir, 'checkpoints');
  return existsSync(c) && readdirSync(c).length > 0;
}

export interface TrainOptions {
  /** Peak learning rate (default: --cpt-lr, --lora-lr, --kd-lr or --kd-lora-lr). */
  lr?: number;
  /** Training text (default: --cpt-text; LoRA: --lora-data). */
  data?: string;
  /** Distillation: the teacher's folder and what names it in the cache. */
  teacher?: { folder: string; hash: string };
  /** Distillation: keep the teacher's top-K (with this cache folder), else the full vocabulary. */
  topK?: { k: number; cache: string };
  /** Tells apart runs with the same settings (e.g. a cold and a warm teacher cache). */
  variant?: string;
}

function defaultLr(s: FindingsContext['settings'], kind: TrainKind): number {
  return { cpt: s.cptLr, lora: s.loraLr, kd: s.kdLr, 'kd-lora': s.kdLoraLr }[kind];
}

/** The command line of one run, before the budget and schedule flags. */
function commandOf(kind: TrainKind, base: string, data: string, seqLen: number, o: TrainOptions): string[] {
  if (kind === 'cpt') return ['cpt', base, '--text', data, '--seq-len', String(seqLen)];
  if (kind === 'lora') return ['lora', base, '--data', data, '--cutoff', String(seqLen)];
  if (!o.teacher) throw new Error(`train ${kind}: no teacher`);
  return [
    'distill',
    base,
    '--teacher',
    o.teacher.folder,
    '--text',
    data,
    '--seq-len',
    String(seqLen),
    ...(kind === 'kd-lora' ? ['--lora'] : []),
    ...(o.topK ? ['--top-k', String(o.topK.k), '--teacher-cache', o.topK.cache] : []),
  ];
}

const DIVERGED = /stopped without writing a checkpoint/;

/**
 * One training run (cpt, lora or distill on a model folder) at `tokens`, cached; resumes when it
 * can. A run that stops on a non-finite loss (too high a learning rate) is recorded as diverged.
 */
export async function train(
  ctx: FindingsContext,
  kind: TrainKind,
  base: { folder: string; hash: string },
  tokens: number,
  label: string,
  o: TrainOptions = {},
): Promise<Trained> {
  const s = ctx.settings;
  const seqLen = healSeqLen(ctx);
  const steps = Math.ceil(tokens / (s.healBatch * seqLen));
  const settings = {
    maxTokens: tokens,
    lr: o.lr ?? defaultLr(s, kind),
    warmupSteps: Math.max(1, Math.round(0.1 * steps)),
    batch: s.healBatch,
    microBatch: Math.min(s.healMicroBatch, s.healBatch),
    seqLen,
    data: o.data ?? (kind === 'lora' ? s.loraData : s.cptText),
  };
  // cpt and lora keep the keys they always had, so finding 4's runs serve finding 6's grids.
  const key = {
    base: base.hash,
    kind,
    ...settings,
    valRows: VAL_ROWS,
    seed: 42,
    ...(kind === 'kd' || kind === 'kd-lora' ? { teacher: o.teacher?.hash, alpha: 1, temperature: 1 } : {}),
    ...(o.topK ? { topK: o.topK.k } : {}),
    ...(o.variant ? { variant: o.variant } : {}),
  };
  const r = await ctx.cache.run(
    `train-${kind}`,
    label,
    key,
    async (dir) => {
      const args = [
        ...commandOf(kind, base.folder, settings.data, seqLen, o),
        '--out',
        dir,
        '--max-tokens',
        String(tokens),
        '--epochs',
        '1000',
        '--batch-size',
        String(settings.batch),
        '--micro-batch',
        String(settings.microBatch),
        '--lr',
        String(settings.lr),
        '--warmup-steps',
        String(settings.warmupSteps),
        '--val-size',
        String(VAL_ROWS),
        '--eval-every',
        String(steps + 1),
        '--save-every',
        String(Math.max(1, Math.min(10, Math.floor(steps / 4)))),
        '--seed',
        '42',
        '--json',
      ];
      const status = () => lastLogLine(dir);
      let summary: TrainSummary;
      let resumed = false;
      try {
        if (hasCheckpoint(dir)) {
          ctx.log(`  resuming ${label} from ${join(dir, 'checkpoints')}`);
          try {
            summary = await ctx.shorten<TrainSummary>([...args, '--resume', dir], { status });
            resumed = true;
          } catch (e) {
            if (DIVERGED.test((e as Error).message)) throw e;
            ctx.log(`  resume failed (${(e as Error).message.split('\n')[0]}); starting over`);
            rmSync(dir, { recursive: true, force: true });
            summary = await ctx.shorten<TrainSummary>(args, { status });
          }
        } else {
          rmSync(dir, { recursive: true, force: true });
          summary = await ctx.shorten<TrainSummary>(args, { status });
        }
      } catch (e) {
        if (!DIVERGED.test((e as Error).message)) throw e;
        ctx.log(`  ${label}: diverged (${(e as Error).message.split('\n').slice(-1)[0]})`);
        const none: TrainSummary = {
          kind,
          steps: 0,
          tokens: 0,
          final_loss: NaN,
          first_val_loss: null,
          last_val_loss: null,
        };
        return {
          folder: dir,
          summary: none,
          settings,
          resumed,
          diverged: true,
          elapsedS: loggedElapsed(dir),
        };
      }
      // The run is done: its checkpoints (weights and optimizer state) only served a resume.
      rmSync(join(dir, 'checkpoints'), { recursive: true, force: true });
      return { folder: dir, summary, settings, resumed, elapsedS: loggedElapsed(dir) };
    },
    (x) =>
      x.diverged === true ||
      existsSync(join(x.folder, kind === 'cpt' || kind === 'kd' ? 'config.json' : 'adapter_config.json')),
  );
  return {
    folder: r.result.folder,
    hash: r.hash,
    run: {
      kind,
      summary: r.result.summary,
      seconds: r.seconds,
      elapsedS: r.result.elapsedS ?? null,
      resumed: r.result.resumed,
      diverged: r.result.diverged,
      settings: r.result.settings,
    },
  };
}

/** The LoRA run's adapter folded into its base model (`shorten merge`), cached. */
export async function merged(
  ctx: FindingsContext,
  base: { folder: string },
  lora: Trained,
  label: string,
): Promise<{ folder: string; hash: string }> {
  const r = await ctx.cache.run(
    'merge',
    `merge ${label}`,
    { lora: lora.hash },
    async (out) => {
      const folder = join(out, 'model');
      await ctx.shorten(['merge', base.folder, lora.folder, '--out', folder], { noJson: true });
      return { folder };
    },
    (x) => existsSync(join(x.folder, 'config.json')),
  );
  return { folder: r.result.folder, hash: r.hash };
}

/**
 * The budget in whole optimizer steps (rows × seq-len tokens each), so that every method trains on
 * exactly the same number of tokens: --heal-tokens rounded to whole steps, CPT⇒LoRA split into
 * ⌊steps/2⌋ steps of CPT and the rest of LoRA.
 */
export function healBudget(ctx: Pick<FindingsContext, 'settings' | 'model'>): {
  tokens: number;
  half: number;
  perStep: number;
  seqLen: number;
} {
  const seqLen = healSeqLen(ctx);
  const perStep = ctx.settings.healBatch * seqLen;
  const steps = Math.max(2, Math.round(ctx.settings.healTokens / perStep));
  return { tokens: steps * perStep, half: Math.floor(steps / 2) * perStep, perStep, seqLen };
}

export function healSeqLen(ctx: Pick<FindingsContext, 'model'>): number {
  return Math.min(256, ctx.model.config.maxSeqLen);
}

async function healAtRatio(
  ctx: FindingsContext,
  pruned: PrunedModel<DepthPruneRecord>,
  ratio: string,
): Promise<HealingAtRatio> {
  const { tokens: B, half } = healBudget(ctx);
  const tag = `F4 ${ratio}`;
  const methods: HealedModel[] = [
    {
      method: 'none',
      runs: [],
      tokens: 0,
      ppl: await ctx.pplWithout(pruned.record.removed, `${tag} perplexity, no healing`),
    },
  ];

  const lora = await train(ctx, 'lora', pruned, B, `${tag} LoRA ${B} tokens`);
  const loraModel = await merged(ctx, pruned, lora, `${tag} LoRA`);
  methods.push({
    method: 'LoRA',
    runs: [lora.run],
    tokens: lora.run.summary.tokens,
    ppl: await ctx.pplOfFolder(loraModel.folder, loraModel.hash, `${tag} perplexity after LoRA`),
  });

  const cpt = await train(ctx, 'cpt', pruned, B, `${tag} CPT ${B} tokens`);
  methods.push({
    method: 'CPT',
    runs: [cpt.run],
    tokens: cpt.run.summary.tokens,
    ppl: await ctx.pplOfFolder(cpt.folder, cpt.hash, `${tag} perplexity after CPT`),
  });

  const cptHalf = await train(ctx, 'cpt', pruned, half, `${tag} CPT⇒LoRA: CPT ${half} tokens`);
  const thenLora = await train(ctx, 'lora', cptHalf, B - half, `${tag} CPT⇒LoRA: LoRA ${B - half} tokens`);
  const both = await merged(ctx, cptHalf, thenLora, `${tag} CPT⇒LoRA`);
  methods.push({
    method: 'CPT⇒LoRA',
    runs: [cptHalf.run, thenLora.run],
    tokens: cptHalf.run.summary.tokens + thenLora.run.summary.tokens,
    ppl: await ctx.pplOfFolder(both.folder, both.hash, `${tag} perplexity after CPT⇒LoRA`),
  });
  return { ratio, removed: pruned.record.removed, parameters: pruned.record.parameters_after, methods };
}

export async function measureHealing(ctx: FindingsContext): Promise<HealingFinding> {
  const s = ctx.settings;
  const ratios: HealingAtRatio[] = [];
  for (const ratio of s.ratios)
    ratios.push(await healAtRatio(ctx, await depthPruned(ctx, s.healCriterion, ratio), ratio));
  const budget = healBudget(ctx);
  return {
    criterion: s.healCriterion,
    requested: s.healTokens,
    budget: budget.tokens,
    tokensPerStep: budget.perStep,
    seqLen: budget.seqLen,
    ratios,
  };
}
