// Zero-shot scoring: KV-cached context scoring against scoring every choice from scratch, the
// harness's pair encoding, task-row validation, and small runs of all seven tasks; on the default
// model with synthetic task rows, and on stories260K with the real task files when the fixtures
// are there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingFixture, STORIES260K_BIN, TASKS_DIR } from '../helpers/fixtures.js';
import { writeSyntheticTasks } from '../helpers/project-data.js';
import { openDefaultModelF32 } from '../helpers/project-models.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { TASKS, parseTaskList } from '../../src/eval/tasks/definitions.js';
import { readTaskQuestions, TaskRowError } from '../../src/eval/tasks/task-rows.js';
import { contextPrefix } from '../../src/eval/zeroshot-bos.js';
import { encodePair } from '../../src/eval/zeroshot-encode.js';
import { continuationLogLikelihoods, tokenLogProb } from '../../src/eval/zeroshot-score.js';
import type { ScoreRequest } from '../../src/eval/zeroshot-score.js';
import { scoreQuestions, zeroShot } from '../../src/eval/zeroshot.js';
import type { LlamaInference } from '../../src/model/inference.js';
import type { OpenedModel } from '../../src/pipeline/open-model.js';

/** A TinyStories model and a task folder: the project's own pair always, the fixtures' when present. */
interface Subject {
  name: string;
  skip: string | false;
  model: () => OpenedModel;
  taskDir: () => string;
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const SUBJECTS: Subject[] = [
  {
    name: 'default model (f32), synthetic rows',
    skip: false,
    model: once(openDefaultModelF32),
    taskDir: once(() => {
      const dir = mkdtempSync(join(tmpdir(), 'shorten-tasks-'));
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      return writeSyntheticTasks(dir);
    }),
  },
  {
    name: 'stories260K, real rows',
    skip: missingFixture(STORIES260K_BIN, TASKS_DIR),
    model: once(() => openModel(STORIES260K_BIN)),
    taskDir: () => TASKS_DIR,
  },
];

function fromScratch(m: LlamaInference, r: ScoreRequest): number {
  const ids = [...r.context, ...r.continuation.slice(0, -1)];
  const logits = m.forward(Int32Array.from(ids), 1, m.newCache(1, ids.length));
  const vocab = m.config.vocabSize;
  let sum = 0;
  for (let t = 0; t < r.continuation.length; t++)
    sum += tokenLogProb(logits, (r.context.length - 1 + t) * vocab, vocab, r.continuation[t]);
  return sum;
}

for (const subject of SUBJECTS) {
  const { name, skip } = subject;
  test(
    `${name}: a context scored once with its KV cache gives the log-probabilities of scoring each choice from scratch`,
    { skip },
    () => {
      const tok = subject.model().tokenizer;
      const inference = inferenceOf(subject.model());
      const TASK_DIR = subject.taskDir();
      const requests: ScoreRequest[] = [];
      for (const name of ['hellaswag', 'piqa', 'winogrande', 'arc_easy'] as const) {
        const task = TASKS.find((t) => t.name === name)!;
        for (const q of readTaskQuestions(task, join(TASK_DIR, task.file), 3))
          q.contexts.forEach((c, i) =>
            requests.push(encodePair(tok, c, q.continuations[i], 512, contextPrefix(tok, 'always'))),
          );
      }
      // A one-token continuation, so rows with nothing past the prefill are mixed in.
      requests.push({
        context: [tok.bosId!, ...tok.encode('Once upon a')],
        continuation: tok.encode(' time').slice(0, 1),
      });
      const cached = continuationLogLikelihoods(inference, requests, { batch: 3 });
      let worst = 0;
      requests.forEach((r, i) => {
        const ref = fromScratch(inference, r);
        assert.ok(Number.isFinite(cached[i]) && cached[i] < 0);
        worst = Math.max(worst, Math.abs(cached[i] - ref) / Math.max(1, Math.abs(ref)));
      });
      assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
    },
  );

  test(`${name}: a TinyStories model prefers the continuation its stories use`, { skip }, () => {
    const q = {
      contexts: [
        'Once upon a time, there was a little girl named',
        'Once upon a time, there was a little girl named',
      ],
      continuations: [' Lily.', ' Quantum.'],
      normLengths: [5, 8],
      gold: 0,
    };
    const s = scoreQuestions(inferenceOf(subject.model()), subject.model().tokenizer, [
      q,
      { ...q, continuations: [' Quantum.', ' Lily.'], normLengths: [8, 5], gold: 1 },
    ]);
    assert.deepEqual(s, { acc: 1, acc_norm: 1, n: 2 });
  });

  test(`${name}: all seven tasks run and the average is the mean of the reported metrics`, { skip }, () => {
    const m = subject.model();
    const r = zeroShot(inferenceOf(m), m.tokenizer, [...TASKS], subject.taskDir(), { limit: 4, batch: 4 });
    let sum = 0;
    for (const t of TASKS) {
      const s = r.tasks[t.name]!;
      assert.equal(s.n, 4);
      assert.ok(s.acc >= 0 && s.acc <= 1 && s.acc_norm >= 0 && s.acc_norm <= 1);
      sum += s[t.metric];
    }
    assert.ok(Math.abs(r.average - (sum / 7) * 100) < 1e-9);
  });
}

test('encodePair follows the harness: trailing context whitespace moves to the continuation, BOS first, left truncation', () => {
  const tok = SUBJECTS[0].model().tokenizer;
  const withBos = contextPrefix(tok, 'always');
  const whole = tok.encode('Question: why?\n Answer');
  const ctx = tok.encode('Question: why?');
  const p = encodePair(tok, 'Question: why?\n', ' Answer', 512, withBos);
  assert.deepEqual(p.context, [tok.bosId, ...ctx]);
  assert.deepEqual(p.continuation, whole.slice(ctx.length));
  const short = encodePair(tok, 'one two three four five six', ' seven', 6, withBos);
  assert.equal(short.context.length + short.continuation.length - 1, 6);
  const full = encodePair(tok, 'one two three four five six', ' seven', 512, withBos);
  assert.deepEqual(short.context, full.context.slice(full.context.length - short.context.length));
});

test('task rows are validated with the file, line and field in the message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-tasks-'));
  try {
    const piqa = TASKS.find((t) => t.name === 'piqa')!;
    const file = join(dir, 'piqa.jsonl');
    writeFileSync(
      file,
      '{"query": "q", "choices": ["a", "b"], "gold": 0}\n{"query": "q", "choices": ["a", "b"], "gold": 2}\n',
    );
    assert.throws(
      () => readTaskQuestions(piqa, file),
      (e: unknown) => e instanceof TaskRowError && /line 2: field 'gold'/.test(e.message),
    );
    writeFileSync(file, '{"query": "q", "choices": ["a"], "gold": 0}\n');
    assert.throws(() => readTaskQuestions(piqa, file), /line 1: field 'choices'/);
    writeFileSync(file, 'not json\n');
    assert.throws(() => readTaskQuestions(piqa, file), /piqa\.jsonl: line 1/);
    const wino = TASKS.find((t) => t.name === 'winogrande')!;
    writeFileSync(file, '{"context_options": ["a", "b"], "gold": 0}\n');
    assert.throws(() => readTaskQuestions(wino, file), /field 'continuation'/);
    assert.throws(() => parseTaskList('piqa,mmlu'), /unknown task 'mmlu'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
