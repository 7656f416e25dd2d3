// Zero-shot multiple-choice accuracy, lm-evaluation-harness's protocol: each choice scored by
// the summed log-probability of its continuation; acc takes the argmax, acc_norm the argmax
// after dividing by the choice's length in characters. The paper's average is the mean of the
// metric it reports per task, × 100. What precedes each context is chosen by --bos (zeroshot-bos.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaInference } from '../model/inference.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { TaskDefinition, TaskName } from './tasks/definitions.js';
import { readTaskQuestions } from './tasks/task-rows.js';
import type { Question } from './tasks/task-rows.js';
import { contextPrefix, type ContextPrefix, type ZeroShotBosMode } from './zeroshot-bos.js';
import { encodePair } from './zeroshot-encode.js';
import type { StartToken } from '../text/sequence-start.js';
import type { ScoreRequest } from './zeroshot-score.js';
import { continuationLogLikelihoods } from './zeroshot-score.js';

export interface TaskScore {
  acc: number;
  acc_norm: number;
  n: number;
}

/** What went before each context, as the results report it. */
export interface ZeroShotBos {
  mode: ZeroShotBosMode;
  /** The token put before every context, or null. */
  token: StartToken | null;
  description: string;
}

export interface ZeroShotResult {
  tasks: Partial<Record<TaskName, TaskScore>>;
  bos: ZeroShotBos;
  /** Mean over the tasks run of the metric the paper reports for each, × 100. */
  average: number;
}

export interface ZeroShotOptions {
  limit?: number;
  batch?: number;
  /** Default 'auto': BOS before each context when the tokenizer's own encoding adds it. */
  bos?: ZeroShotBosMode;
  onProgress?: (task: TaskName, done: number, total: number) => void;
}

/** First index of the largest value (numpy's argmax). */
function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** Scores questions; exported so tests can score hand-made ones. */
export function scoreQuestions(
  model: LlamaInference,
  tokenizer: Tokenizer,
  questions: Question[],
  opts: { batch?: number; onProgress?: (done: number, total: number) => void; prefix?: ContextPrefix } = {},
): TaskScore {
  const prefix = opts.prefix ?? contextPrefix(tokenizer, 'auto');
  const requests: ScoreRequest[] = [];
  for (const q of questions)
    for (let c = 0; c < q.contexts.length; c++)
      requests.push(encodePair(tokenizer, q.contexts[c], q.continuations[c], model.config.maxSeqLen, prefix));
  const sums = continuationLogLikelihoods(model, requests, opts);
  let acc = 0;
  let accNorm = 0;
  let r = 0;
  for (const q of questions) {
    const k = q.contexts.length;
    const ll = sums.subarray(r, r + k);
    r += k;
    if (argmax(ll) === q.gold) acc++;
    if (argmax(Array.from(ll, (v, i) => v / q.normLengths[i])) === q.gold) accNorm++;
  }
  return { acc: acc / questions.length, acc_norm: accNorm / questions.length, n: questions.length };
}

export function taskFile(task: TaskDefinition, dataDir: string): string {
  for (const p of [join(dataDir, task.file), join(dataDir, 'tasks', task.file)]) if (existsSync(p)) return p;
  throw new Error(
    `${join(dataDir, task.file)}: no such task file for ${task.name} (looked under ${dataDir} and ${join(dataDir, 'tasks')})`,
  );
}

/** A zero-shot request that would score no question: bad usage (exit 2), not an accuracy of NaN. */
export class NoQuestionsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'NoQuestionsError';
  }
}

export function zeroShot(
  model: LlamaInference,
  tokenizer: Tokenizer,
  tasks: TaskDefinition[],
  dataDir: string,
  opts: ZeroShotOptions = {},
): ZeroShotResult {
  if (tasks.length === 0) throw new NoQuestionsError('no zero-shot task given');
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1))
    throw new NoQuestionsError(`--limit ${opts.limit} scores no question; give --limit 1 or more`);
  const prefix = contextPrefix(tokenizer, opts.bos ?? 'auto');
  const result: ZeroShotResult = {
    tasks: {},
    bos: { mode: prefix.mode, token: prefix.token, description: prefix.description },
    average: 0,
  };
  let reported = 0;
  for (const task of tasks) {
    const file = taskFile(task, dataDir);
    const questions = readTaskQuestions(task, file, opts.limit);
    if (questions.length === 0)
      throw new NoQuestionsError(
        `${file}: no questions for ${task.name}; an accuracy over none is no result`,
      );
    const score = scoreQuestions(model, tokenizer, questions, {
      prefix,
      batch: opts.batch,
      onProgress: opts.onProgress ? (d, t) => opts.onProgress?.(task.name, d, t) : undefined,
    });
    result.tasks[task.name] = score;
    reported += score[task.metric];
  }
  result.average = (reported / tasks.length) * 100;
  return result;
}
