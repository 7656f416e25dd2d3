// Distillation from the unpruned model (`shorten distill` in the library): the loss and its logged
// terms, the kept blocks shared with the teacher, the top-K cache, and the refusals (another
// vocabulary or tokenizer, an unrelated teacher, a teacher too large for memory). Runs on the small
// twin (stories260K's shape, the default model's tokenizer) and text sampled from the default model.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import { runDistill } from '../../src/heal/distill-run.js';
import type { DistillModel, DistillRunSettings } from '../../src/heal/distill-run.js';
import { PAPER_TARGET_MODULES } from '../../src/heal/lora.js';
import { checkTeacher, TeacherMismatchError } from '../../src/heal/teacher-check.js';
import { shareTeacherTensors } from '../../src/heal/teacher-sharing.js';
import type { StepRecord } from '../../src/heal/train-loop.js';
import { removeBlocks } from '../../src/prune/cut.js';
import { widthPrune } from '../../src/prune/width/width-prune.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { collate } from '../../src/heal/train-loop.js';
import { TeacherTargets } from '../../src/heal/teacher-targets.js';
import { buildModel, llamaForward } from '../../src/model/llama-forward.js';
import { writeProjectStories } from '../helpers/project-data.js';
import { randomRows } from './tiny-model.js';
import { smallTwin } from '../helpers/project-models.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-distill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const twin = smallTwin();
const teacher: DistillModel = { path: 'teacher', weights: twin.weights, tokenizer: twin.tokenizer };
const student = (): DistillModel => ({
  path: 'student',
  weights: removeBlocks(twin.weights, [2]),
  tokenizer: twin.tokenizer,
});

function settings(dir: string, text: string, extra: Partial<DistillRunSettings> = {}): DistillRunSettings {
  return {
    out: dir,
    text: [text],
    epochs: 10,
    maxSteps: 6,
    batchSize: 4,
    microBatch: 2,
    seqLen: 32,
    lr: 3e-3,
    warmupSteps: 1,
    seed: 7,
    saveEvery: 3,
    evalEvery: 3,
    valSize: 4,
    maxGradNorm: 1,
    weightDecay: 0.1,
    alpha: 1,
    temperature: 1,
    beta2: 0.95,
    minLrRatio: 0.1,
    ...extra,
  };
}

let textFile = '';
function text(t: TestContext): string {
  if (!textFile) {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-distill-text-'));
    textFile = writeProjectStories(join(dir, 'stories.txt'), 24);
  }
  void t;
  return textFile;
}

test('distill: the KL falls, both terms are logged, and alpha mixes them as alpha·T²·KL + (1 − alpha)·CE', (t) => {
  const dir = tempDir(t);
  const r = runDistill(
    student(),
    teacher,
    settings(join(dir, 'a'), text(t), { temperature: 2, alpha: 0.25 }),
  );
  const recs = r.result.records;
  assert.equal(recs.length, 6);
  for (const x of recs) {
    assert.equal(typeof x.kl, 'number');
    assert.equal(typeof x.ce, 'number');
    assert.ok(
      Math.abs(x.loss - (0.25 * 4 * x.kl! + 0.75 * x.ce!)) < 1e-9 * Math.max(1, x.loss),
      `step ${x.step}`,
    );
  }
  assert.equal(typeof recs[2].val_kl, 'number');
  assert.equal(typeof recs[2].val_loss, 'number');
  // The full-parameter student is an HF folder, as cpt writes.
  assert.ok(existsSync(join(dir, 'a', 'config.json')));
  const log = readFileSync(join(dir, 'a', 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal((JSON.parse(log[5]) as StepRecord).kl, recs[5].kl);
});

test('distill with alpha 1: the KL to the teacher falls', (t) => {
  const dir = tempDir(t);
  const r = runDistill(student(), teacher, settings(dir, text(t)));
  const recs = r.result.records;
  assert.ok(recs[5].kl! < 0.9 * recs[0].kl!, `KL ${recs[0].kl} → ${recs[5].kl}`);
  assert.equal(recs[5].loss, recs[5].kl);
});

test('distill from itself: a student equal to its teacher starts at KL 0', (t) => {
  const dir = tempDir(t);
  const same: DistillModel = { ...teacher, path: 'copy' };
  const r = runDistill(same, teacher, settings(dir, text(t), { maxSteps: 1 }));
  assert.ok(Math.abs(r.result.records[0].kl!) < 1e-6, `KL ${r.result.records[0].kl}`);
});

test("a depth-pruned student's blocks are the teacher's tensors; a LoRA student keeps them frozen and shared", (t) => {
  const s = student();
  const shared = shareTeacherTensors(s.weights, teacher.weights);
  assert.deepEqual(shared.blockOrigin, [0, 1, 3, 4]);
  assert.equal(shared.sharedTensors, s.weights.tensors.size);
  for (const [name, w] of shared.weights.tensors) {
    const m = /^model\.layers\.(\d+)\.(.*)$/.exec(name);
    const origin: string = m ? `model.layers.${shared.blockOrigin[Number(m[1])]}.${m[2]}` : name;
    assert.equal(w, teacher.weights.tensors.get(origin), name);
  }
  // A copy (another buffer, same bytes) is found by its bytes too; a changed tensor is not shared.
  const copied = new Map([...s.weights.tensors].map(([n, w]) => [n, { ...w, data: w.data.slice() }]));
  (copied.get('model.layers.1.mlp.up_proj.weight')!.data as Float32Array)[0] += 1;
  const again = shareTeacherTensors({ config: s.weights.config, tensors: copied }, teacher.weights);
  assert.deepEqual(again.blockOrigin, [0, null, 3, 4]);
  assert.equal(again.sharedTensors, s.weights.tensors.size - 9, 'the changed block keeps its own tensors');
  const dir = tempDir(t);
  const r = runDistill(
    student(),
    teacher,
    settings(dir, text(t), {
      lora: { r: 4, alpha: 8, dropout: 0.05, targetModules: PAPER_TARGET_MODULES },
      weightDecay: 0,
      maxSteps: 2,
    }),
  );
  assert.ok(existsSync(join(dir, 'adapter_config.json')), 'a PEFT adapter');
  assert.equal(r.shared.sharedTensors, s.weights.tensors.size);
  assert.ok(r.adapters!.size > 0);
});

test("the teacher's inference forward gives the training forward's logits at every real position of right-padded rows", () => {
  const rows = randomRows(5, 3, 512);
  const mb = collate(rows);
  assert.ok(mb.paddingMask, 'rows of unequal length');
  const target = new TeacherTargets(twin.weights, { temperature: 1 }).forMicroBatch(mb);
  assert.equal(target.kind, 'full');
  const want = llamaForward(buildModel(twin.weights), mb.ids, {
    batch: mb.batch,
    seqLen: mb.seqLen,
    paddingMask: mb.paddingMask,
  }).logits.data;
  const V = twin.weights.config.vocabSize;
  let worst = 0;
  rows.forEach((r, b) => {
    for (let t = 0; t < r.ids.length; t++)
      for (let v = 0; v < V; v++) {
        const i = (b * mb.seqLen + t) * V + v;
        if (target.kind === 'full') worst = Math.max(worst, Math.abs(target.logits[i] - want[i]));
      }
  });
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
});

test('top-K: the cache is filled by the first run and answers every row of a second, with the same losses', (t) => {
  const dir = tempDir(t);
  const cache = join(dir, 'cache');
  const a = runDistill(
    student(),
    teacher,
    settings(join(dir, 'a'), text(t), { topK: 8, teacherCache: cache }),
  );
  assert.ok(a.cache && a.cache.misses > 0);
  const b = runDistill(
    student(),
    teacher,
    settings(join(dir, 'b'), text(t), { topK: 8, teacherCache: cache }),
  );
  assert.equal(b.cache!.misses, 0);
  assert.equal(b.teacherForwards, 0, 'no teacher forward on a filled cache');
  const losses = (x: typeof a) => x.result.records.map((r) => [r.loss, r.kl, r.val_loss ?? null]);
  assert.deepEqual(losses(b), losses(a));
  // Without a cache, the same top-K from the teacher on the fly.
  const c = runDistill(
    student(),
    teacher,
    settings(join(dir, 'c'), text(t), { topK: 8, teacherCache: null }),
  );
  assert.equal(c.cache, null);
  assert.deepEqual(losses(c), losses(a));
  // The full vocabulary is another objective: the top-8 KL lies below it.
  const full = runDistill(student(), teacher, settings(join(dir, 'd'), text(t), { maxSteps: 1 }));
  assert.ok(a.result.records[0].kl! < full.result.records[0].kl!);
  // A cache made for another K is refused, naming the folder and the field.
  assert.throws(
    () => runDistill(student(), teacher, settings(join(dir, 'e'), text(t), { topK: 4, teacherCache: cache })),
    /--teacher-cache .*cache: made for other settings \(k 8, now 4\)/,
  );
});

test('a width-pruned student distills from its original (the same vocabulary is all logit KD needs)', (t) => {
  const dir = tempDir(t);
  const width = widthPrune(twin.weights, 1, 'magnitude', null).weights;
  assert.ok(width.config.intermediateSize < twin.weights.config.intermediateSize);
  const r = runDistill(
    { path: 'width', weights: width, tokenizer: twin.tokenizer },
    teacher,
    settings(dir, text(t), { maxSteps: 3 }),
  );
  assert.equal(r.result.steps, 3);
  assert.deepEqual(r.shared.blockOrigin, [null, null, null, null, null]);
});

/** The twin's tokenizer with one token renamed. */
function renamed(tok: Tokenizer, id: number, piece: string): Tokenizer {
  return Object.assign(Object.create(Object.getPrototypeOf(tok) as object) as Tokenizer, tok, {
    tokenToPiece: (i: number) => (i === id ? piece : tok.tokenToPiece(i)),
  });
}

test('refused: another vocabulary or tokenizer, naming both; an unrelated teacher, naming the shapes', (t) => {
  const s = student();
  const party = (path: string, m: DistillModel) => ({
    path,
    config: m.weights.config,
    tokenizer: m.tokenizer,
  });
  const bigger = syntheticLlama({ ...twin.weights.config, vocabSize: 600 }, { seed: 1 });
  assert.throws(
    () => checkTeacher(party('small', s), party('big', { ...teacher, weights: bigger })),
    (e: unknown) =>
      e instanceof TeacherMismatchError &&
      /teacher big and student small have different vocabularies: the teacher's has 600 entries .* the student's 512/.test(
        e.message,
      ),
  );
  assert.throws(
    () =>
      checkTeacher(
        party('small', s),
        party('other', { ...teacher, tokenizer: renamed(twin.tokenizer, 300, 'xyz') }),
      ),
    /teacher other and student small have different tokenizers: token 300 is "xyz" in the teacher's and ".*" in the student's/,
  );
  const unrelated = syntheticLlama({ ...twin.weights.config, hiddenSize: 96, headDim: 12 }, { seed: 2 });
  assert.throws(
    () => checkTeacher(party('small', s), party('unrelated', { ...teacher, weights: unrelated })),
    (e: unknown) =>
      e instanceof TeacherMismatchError &&
      /teacher 5 blocks, hidden 96, 8 heads \/ 4 KV heads of 12, MLP 172; student 4 blocks, hidden 64, 8 heads \/ 4 KV heads of 8, MLP 172 \(hidden width 64 ≠ 96; head size 8 ≠ 12\)/.test(
        e.message,
      ),
  );
  // A student deeper than its teacher cannot have been pruned from it.
  assert.throws(() => checkTeacher(party('twin', teacher), party('short', s)), /5 blocks > 4/);
  void t;
});

test('refused before training: a teacher that does not fit in memory beside the student, with both sizes', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () =>
      runDistill(
        student(),
        teacher,
        settings(dir, text(t), { available: { bytes: 1_000_000, source: 'a test budget' } }),
      ),
    /the teacher teacher \(0\.\d+ GiB\) does not fit in memory beside the student student \(0\.\d+ GiB for weights, gradients, optimizer state and activations\): 0\.\d+ GiB needed, 0\.001 GiB available \(a test budget\)/,
  );
  assert.equal(existsSync(join(dir, 'train_log.jsonl')), false, 'nothing trained');
});
