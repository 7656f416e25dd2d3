// Finding 4: healing the pruned models at each ratio with none, LoRA, CPT and CPT⇒LoRA at one token
// budget (`shorten lora | cpt --max-tokens`, CPT⇒LoRA half each), then perplexity. LoRA adapters
// are folded in with `shorten merge`. A killed training run resumes from its last checkpoint.
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

export interface TrainingRun {
  kind: 'cpt' | 'lora';
  summary: TrainSummary;
  /** Seconds of the run; of its last part only when it was resumed after a kill. */
  seconds: number;
  resumed: boolean;
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

interface Trained {
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

function hasCheckpoint(dir: string): boolean {
  const c = join(dir, 'checkpoints');
  return existsSync(c) && readdirSync(c).length > 0;
}

/** One training run (cpt on a model folder, or lora on one) at `tokens`, cached; resumes when it can. */
async function train(
  ctx: FindingsContext,
  kind: 'cpt' | 'lora',
  base: { folder: string; hash: string },
  tokens: number,
  label: string,
): Promise<Trained> {
  const s = ctx.settings;
  const seqLen = healSeqLen(ctx);
  const steps = Math.ceil(tokens / (s.healBatch * seqLen));
  const settings = {
    maxTokens: tokens,
    lr: kind === 'cpt' ? s.cptLr : s.loraLr,
    warmupSteps: Math.max(1, Math.round(0.1 * steps)),
    batch: s.healBatch,
    microBatch: Math.min(s.healMicroBatch, s.healBatch),
    seqLen,
    data: kind === 'cpt' ? s.cptText : s.loraData,
  };
  const key = { base: base.hash, kind, ...settings, valRows: VAL_ROWS, seed: 42 };
  const r = await ctx.cache.run(
    `train-${kind}`,
    label,
    key,
    async (dir) => {
      const args = [
        kind,
        base.folder,
        ...(kind === 'cpt' ? ['--text', settings.data, '--seq-len'] : ['--data', settings.data, '--cutoff']),
        String(seqLen),
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
      if (hasCheckpoint(dir)) {
        ctx.log(`  resuming ${label} from ${join(dir, 'checkpoints')}`);
        try {
          summary = await ctx.shorten<TrainSummary>([...args, '--resume', dir], { status });
          resumed = true;
        } catch (e) {
          ctx.log(`  resume failed (${(e as Error).message.split('\n')[0]}); starting over`);
          rmSync(dir, { recursive: true, force: true });
          summary = await ctx.shorten<TrainSummary>(args, { status });
        }
      } else {
        rmSync(dir, { recursive: true, force: true });
        summary = await ctx.shorten<TrainSummary>(args, { status });
      }
      // The run is done: its checkpoints (weights and optimizer state) only served a resume.
      rmSync(join(dir, 'checkpoints'), { recursive: true, force: true });
      return { folder: dir, summary, settings, resumed };
    },
    (x) => existsSync(join(x.folder, kind === 'cpt' ? 'config.json' : 'adapter_config.json')),
  );
  return {
    folder: r.result.folder,
    hash: r.hash,
    run: {
      kind,
      summary: r.result.summary,
      seconds: r.seconds,
      resumed: r.result.resumed,
      settings: r.result.settings,
    },
  };
}

/** The LoRA run's adapter folded into its base model (`shorten merge`), cached. */
async function merged(
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

function healSeqLen(ctx: Pick<FindingsContext, 'model'>): number {
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
