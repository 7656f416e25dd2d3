// Finding 3: Taylor+ against PPL at each ratio: the pruned models' perplexity and zero-shot accuracy
// (`shorten eval zeroshot`, the seven tasks, first N questions each), beside the unpruned model and
// each task's chance level (the mean of 1/choices over the questions asked).
import { TASKS } from '../../src/eval/tasks/definitions.js';
import { readTaskQuestions } from '../../src/eval/tasks/task-rows.js';
import { taskFile } from '../../src/eval/zeroshot.js';
import type { BlockScoresFinding } from './block-scores.js';
import type { FindingsContext, PerplexityByText } from './context.js';
import { depthPruned } from './pruned-models.js';

/** What `shorten eval zeroshot --json` prints: per task acc/acc_norm, and the paper-metric average (%). */
export interface ZeroShotDocument {
  tasks: Record<string, { acc: number; acc_norm: number; n: number }>;
  average: number;
}

export interface ComparedModel {
  label: string;
  criterion: string | null;
  ratio: string | null;
  removed: number[];
  parameters: number;
  /** The removal `shorten prune` made equals the one computed from the scores (finding 1). */
  matchesScores: boolean | null;
  ppl: PerplexityByText;
  zeroshot: ZeroShotDocument;
}

export interface TaskChance {
  task: string;
  metric: 'acc' | 'acc_norm';
  questions: number;
  chance: number;
}

export interface CriteriaFinding {
  limit: number;
  chance: TaskChance[];
  /** Mean of the tasks' chance levels, in % (the same scale as the zero-shot average). */
  chanceAverage: number;
  models: ComparedModel[];
}

export function taskChance(tasksDir: string, limit: number): TaskChance[] {
  return TASKS.map((t) => {
    const qs = readTaskQuestions(t, taskFile(t, tasksDir), limit);
    const chance = qs.reduce((sum, q) => sum + 1 / q.contexts.length, 0) / qs.length;
    return { task: t.name, metric: t.metric, questions: qs.length, chance };
  });
}

async function zeroShotOf(
  ctx: FindingsContext,
  folder: string,
  producedBy: string,
  label: string,
): Promise<ZeroShotDocument> {
  const s = ctx.settings;
  const key = { producedBy, limit: s.zeroshotLimit, tasksDir: s.tasksDir };
  const r = await ctx.cache.run('zeroshot', `F3 zero-shot ${label}`, key, () =>
    ctx.shorten<ZeroShotDocument>([
      'eval',
      'zeroshot',
      folder,
      '--tasks',
      'all',
      '--limit',
      String(s.zeroshotLimit),
      '--data-dir',
      s.tasksDir,
      '--json',
    ]),
  );
  return r.result;
}

export async function compareCriteria(
  ctx: FindingsContext,
  scores: BlockScoresFinding,
): Promise<CriteriaFinding> {
  const s = ctx.settings;
  const chance = taskChance(s.tasksDir, s.zeroshotLimit);
  const models: ComparedModel[] = [
    {
      label: 'original',
      criterion: null,
      ratio: null,
      removed: [],
      parameters: ctx.model.parameters,
      matchesScores: null,
      ppl: await ctx.pplWithout([], 'F2/F3 perplexity of the original'),
      zeroshot: await zeroShotOf(ctx, ctx.model.path, ctx.model.fingerprint, 'original'),
    },
  ];
  for (const ratio of scores.ratios) {
    for (const c of [
      { criterion: 'taylor', label: 'Taylor+' },
      { criterion: 'ppl', label: 'PPL' },
    ]) {
      const p = await depthPruned(ctx, c.criterion, ratio.ratio);
      const label = `${c.label} ${ratio.ratio}`;
      models.push({
        label,
        criterion: c.criterion,
        ratio: ratio.ratio,
        removed: p.record.removed,
        parameters: p.record.parameters_after,
        matchesScores: p.record.removed.join(',') === ratio.removed[c.label].join(','),
        ppl: await ctx.pplWithout(p.record.removed, `F3 perplexity ${label}`),
        zeroshot: await zeroShotOf(ctx, p.folder, p.hash, label),
      });
    }
  }
  return {
    limit: s.zeroshotLimit,
    chance,
    chanceAverage: (chance.reduce((a, c) => a + c.chance, 0) / chance.length) * 100,
    models,
  };
}
