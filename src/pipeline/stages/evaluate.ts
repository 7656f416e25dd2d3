// Stage 4, evaluate: perplexity of the original, pruned and healed models on held-out text (or on
// fresh self-samples), perplexity with 0, 1, 2, … blocks removed in each criterion's order, and
// zero-shot accuracy when task files are at hand.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { perplexity, perplexitySegments } from '../../eval/perplexity.js';
import { parseTaskList } from '../../eval/tasks/definitions.js';
import type { TaskDefinition } from '../../eval/tasks/definitions.js';
import { zeroShot } from '../../eval/zeroshot.js';
import { LlamaInference } from '../../model/inference.js';
import type { ModelWeights } from '../../model/weights.js';
import { parameterCount, removeBlocks } from '../../prune/cut.js';
import type {
  EvaluateResult,
  HealResult,
  ModelMeasure,
  PerplexityPoint,
  PruneResult,
  ScoreResult,
  TextSource,
} from '../../report/results.js';
import { describeStartToken, sequenceStartToken } from '../../text/sequence-start.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { openModel } from '../open-model.js';
import { readStageResult, stageDir } from '../run-results.js';
import type { RunContext } from './context.js';
import { readSelfSamples } from './self-samples.js';

function evaluationSegments(
  ctx: RunContext,
  tokenizer: Tokenizer,
): { segments: number[][]; source: TextSource } {
  const c = ctx.config;
  const file = c['eval-text'];
  if (file) {
    const stream = tokenizer.encode(readFileSync(file, 'utf8'));
    const start = sequenceStartToken(tokenizer);
    const segments = perplexitySegments(stream, c['seq-len'], 'first', start.id).slice(0, c['eval-samples']);
    if (segments.length === 0)
      throw new Error(`${file}: fewer than ${c['seq-len']} tokens; nothing to measure perplexity on`);
    return {
      segments,
      source: {
        kind: 'file',
        source: file,
        sequences: segments.length,
        seqLen: c['seq-len'],
        start: `${describeStartToken(start)}, once at the start of the text`,
      },
    };
  }
  const s = readSelfSamples(stageDir(ctx.dir, 'score'));
  return {
    segments: s.eval,
    source: {
      kind: 'self',
      source:
        'sequences sampled from the original model (temperature 1), apart from those used to score and heal',
      sequences: s.eval.length,
      seqLen: s.seqLen,
      seed: s.seed + 1,
      start: s.start ? `${describeStartToken(s.start)}, sampled after` : undefined,
    },
  };
}

/** The task list and folder, or why zero-shot is skipped. A folder given by flag must hold the tasks. */
export function zeroShotPlan(
  ctx: RunContext,
): { tasks: TaskDefinition[]; dataDir: string } | { reason: string } {
  const c = ctx.config;
  const tasks = parseTaskList(c.tasks);
  const fromFlag = c['data-dir'];
  const dataDir = fromFlag ?? process.env.SHORTEN_DATA;
  if (!dataDir)
    return { reason: 'no task files: give --data-dir DIR (or set SHORTEN_DATA) to run zero-shot tasks' };
  const missing = tasks.filter(
    (t) => ![join(dataDir, t.file), join(dataDir, 'tasks', t.file)].some(existsSync),
  );
  if (missing.length > 0) {
    const what = `${dataDir} lacks ${missing.map((t) => t.file).join(', ')}`;
    if (fromFlag) throw new Error(`--data-dir ${what}`);
    return { reason: `SHORTEN_DATA=${what}; zero-shot skipped` };
  }
  return { tasks, dataDir };
}

export function evaluateStage(ctx: RunContext): EvaluateResult {
  const t0 = performance.now();
  const c = ctx.config;
  const score = readStageResult<ScoreResult>(ctx.dir, 'score');
  const prune = readStageResult<PruneResult>(ctx.dir, 'prune');
  const heal = readStageResult<HealResult>(ctx.dir, 'heal');
  const original = ctx.original();
  const { segments, source } = evaluationSegments(ctx, original.tokenizer);
  const pplOf = (w: ModelWeights): { ppl: number; nll: number; tokens: number } =>
    perplexity(new LlamaInference(w, 'evaluate'), segments, { batch: 8 });

  // Perplexity with the first k candidates of each criterion's order removed; k = 0 is the original
  // model, and the chosen criterion at k = target is exactly the pruned model.
  const candidates = new Set(prune.candidates);
  const sweep: PerplexityPoint[] = [];
  const cache = new Map<string, number>();
  const steps = score.scores.reduce((n, s) => n + s.order.filter((b) => candidates.has(b)).length + 1, 0);
  const tick = ctx.progress.task('perplexity sweep', steps, 'model');
  let done = 0;
  for (const s of score.scores) {
    const order = s.order.filter((b) => candidates.has(b));
    for (let k = 0; k <= order.length; k++) {
      const blocks = order.slice(0, k).sort((a, b) => a - b);
      const key = blocks.join(',');
      let ppl = cache.get(key);
      if (ppl === undefined) {
        ppl = pplOf(k === 0 ? original.weights : removeBlocks(original.weights, blocks)).ppl;
        cache.set(key, ppl);
      }
      sweep.push({ criterion: s.criterion, removed: k, blocks, ppl });
      tick(++done);
    }
  }
  ctx.progress.end();

  const zs = zeroShotPlan(ctx);
  const models: { name: ModelMeasure['name']; weights: ModelWeights; tokenizer: Tokenizer }[] = [
    { name: 'original', weights: original.weights, tokenizer: original.tokenizer },
    { name: 'pruned', weights: removeBlocks(original.weights, prune.removed), tokenizer: original.tokenizer },
  ];
  if (heal.model) {
    const healed = openModel(join(ctx.dir, heal.model));
    models.push({ name: 'healed', weights: healed.weights, tokenizer: healed.tokenizer });
  }
  const measures: ModelMeasure[] = [];
  for (const m of models) {
    const key = m.name === 'healed' ? null : m.name === 'original' ? '' : prune.removed.join(',');
    const known = key === null ? undefined : cache.get(key);
    const p = known === undefined ? pplOf(m.weights) : null;
    const ppl = p ? p.ppl : known!;
    let zeroshot = null;
    if ('tasks' in zs) {
      const zTick = ctx.progress.task(`zero-shot: ${m.name}`, zs.tasks.length, 'task');
      let finished = 0;
      zeroshot = zeroShot(new LlamaInference(m.weights, m.name), m.tokenizer, zs.tasks, zs.dataDir, {
        limit: c['zeroshot-limit'],
        bos: c['zeroshot-bos'],
        batch: 16,
        onProgress: (_task, d, n) => {
          if (d === n) zTick(++finished);
        },
      });
      ctx.progress.end();
    }
    measures.push({
      name: m.name,
      parameters: parameterCount(m.weights),
      blocks: m.weights.config.numLayers,
      ppl,
      nll: Math.log(ppl),
      tokens: segments.length * (segments[0].length - 1),
      zeroshot,
    });
  }
  return {
    evalText: source,
    segments: segments.length,
    seqLen: segments[0].length,
    models: measures,
    sweep,
    zeroshot:
      'tasks' in zs
        ? {
            ran: true,
            reason: null,
            dataDir: zs.dataDir,
            limit: c['zeroshot-limit'],
            tasks: zs.tasks.map((t) => t.name),
            bos: measures[0].zeroshot?.bos.description,
          }
        : { ran: false, reason: zs.reason, dataDir: null, limit: c['zeroshot-limit'], tasks: [] },
    seconds: (performance.now() - t0) / 1000,
  };
}
