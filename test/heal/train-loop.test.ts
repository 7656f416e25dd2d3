// The training loop: a killed run resumed from its checkpoint gives the same losses as an unbroken
// one (LoRA with dropout and full-parameter), NaN stops a run without a checkpoint, budgets, log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { buildModel, trainableParameters } from '../../src/model/llama-forward.js';
import type { ModelWeights } from '../../src/model/weights.js';
import {
  createLoraAdapters,
  loraParameters,
  loraTargets,
  PAPER_TARGET_MODULES,
} from '../../src/heal/lora.js';
import { TrainingRng } from '../../src/heal/rng.js';
import { NonFiniteError, TRAIN_LOG, trainLoop } from '../../src/heal/train-loop.js';
import type { StepRecord, TrainLoopOptions } from '../../src/heal/train-loop.js';
import type { TrainingExample } from '../../src/text/packing.js';
import { randomRows, tinyWeights } from './tiny-model.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-heal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const train = randomRows(40, 11);
const val = randomRows(6, 12);

function loraRun(
  weights: ModelWeights,
  outDir: string,
  extra: Partial<TrainLoopOptions> = {},
): TrainLoopOptions {
  const model = buildModel(weights);
  const adapters = createLoraAdapters(
    weights,
    loraTargets(weights.config, PAPER_TARGET_MODULES),
    { r: 4, alpha: 8, dropout: 0.1, targetModules: [] },
    new TrainingRng(5),
  );
  model.lora = adapters;
  return {
    model,
    params: loraParameters(adapters),
    train,
    val,
    batchSize: 8,
    microBatch: 4,
    budget: { epochs: 3, maxSteps: 12 },
    lr: 1e-2,
    warmupSteps: 3,
    decay: 'linear',
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
    maxGradNorm: 1,
    seed: 3,
    dropout: true,
    saveEvery: 4,
    evalEvery: 4,
    outDir,
    run: { test: 'lora' },
    ...extra,
  };
}

function fullRun(
  weights: ModelWeights,
  outDir: string,
  extra: Partial<TrainLoopOptions> = {},
): TrainLoopOptions {
  const model = buildModel(weights, { trainable: () => true });
  return {
    ...loraRun(weights, outDir),
    model,
    params: trainableParameters(model),
    decay: 'cosine',
    dropout: false,
    adam: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: (n) => n.endsWith('norm.weight') },
    run: { test: 'full' },
    ...extra,
  };
}

const killAt = (step: number) => (r: StepRecord) => {
  if (r.step === step) throw new Error('killed');
};

for (const [kind, make] of [
  ['LoRA with dropout', loraRun],
  ['full-parameter', fullRun],
] as const) {
  test(`${kind}: a run killed after step 6 and resumed from its step-4 checkpoint repeats the unbroken run's losses exactly`, (t) => {
    const dir = tempDir(t);
    const wholeOpts = make(tinyWeights(1), join(dir, 'whole'));
    const whole = trainLoop(wholeOpts);
    assert.equal(whole.steps, 12);
    assert.ok(whole.records[11].loss < whole.records[0].loss, 'the loss falls');

    const killed = join(dir, 'killed');
    assert.throws(() => trainLoop(make(tinyWeights(1), killed, { onStep: killAt(6) })), /killed/);
    assert.deepEqual(readdirSync(join(killed, 'checkpoints')), ['step-0000004']);
    // A fresh process: the weights and adapters start over, the checkpoint restores them.
    const resumedOpts = make(tinyWeights(1), killed, { resume: killed });
    const resumed = trainLoop(resumedOpts);
    assert.equal(resumed.steps, 12);
    const losses = (rs: StepRecord[]) => rs.map((r) => [r.step, r.loss, r.lr, r.val_loss ?? null]);
    assert.deepEqual(losses(resumed.records), losses(whole.records));
    const log = readFileSync(join(killed, TRAIN_LOG), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StepRecord);
    assert.deepEqual(losses(log), losses(whole.records), 'the log holds each step once');
    for (const [name, p] of wholeOpts.params)
      assert.deepEqual(resumedOpts.params.get(name)!.data, p.data, name);
  });
}

test('resume refuses a checkpoint of a run with other settings', (t) => {
  const dir = tempDir(t);
  trainLoop(loraRun(tinyWeights(1), dir, { budget: { epochs: 1, maxSteps: 4 } }));
  assert.throws(
    () => trainLoop(loraRun(tinyWeights(1), dir, { resume: dir, run: { test: 'other' } })),
    /settings differ/,
  );
});

test('a NaN loss stops the run with a clear message and writes no checkpoint; --skip-nonfinite skips the steps', (t) => {
  const dir = tempDir(t);
  const poisoned = tinyWeights(1);
  (poisoned.tensors.get('model.layers.0.mlp.up_proj.weight')!.data as Float32Array)[3] = NaN;
  assert.throws(
    () => trainLoop(loraRun(poisoned, join(dir, 'a'), { saveEvery: 1 })),
    (e: unknown) =>
      e instanceof NonFiniteError && /step 1: loss is NaN.*without writing a checkpoint/.test(e.message),
  );
  assert.equal(existsSync(join(dir, 'a', 'checkpoints')), false);
  const opts = loraRun(poisoned, join(dir, 'b'), { skipNonfinite: true, budget: { epochs: 1, maxSteps: 3 } });
  const before = [...opts.params.values()].map((p) => Float32Array.from(p.data));
  const r = trainLoop(opts);
  assert.equal(r.steps, 3);
  assert.ok(r.records.every((x) => x.skipped === true));
  [...opts.params.values()].forEach((p, i) =>
    assert.deepEqual(p.data, before[i], 'skipped steps change nothing'),
  );
});

test('budgets: epochs, max steps and max tokens, whichever ends first', (t) => {
  const dir = tempDir(t);
  const tokens = (rows: TrainingExample[]) => rows.reduce((s, r) => s + r.ids.length, 0);
  const epochs = trainLoop(loraRun(tinyWeights(1), join(dir, 'e'), { budget: { epochs: 1 }, val: [] }));
  assert.equal(epochs.steps, 5); // 40 rows, 8 per step
  assert.equal(epochs.tokens, tokens(train));
  const byTokens = trainLoop(
    loraRun(tinyWeights(1), join(dir, 't'), { budget: { epochs: 5, maxTokens: 100 }, val: [] }),
  );
  assert.ok(byTokens.tokens >= 100 && byTokens.tokens - byTokens.records[byTokens.steps - 2].tokens > 0);
  assert.ok(byTokens.records[byTokens.steps - 2].tokens < 100, 'stops at the first step reaching the budget');
  const rec = byTokens.records[0];
  for (const k of ['step', 'tokens', 'loss', 'lr', 'tokens_per_s'])
    assert.equal(typeof rec[k as keyof StepRecord], 'number');
});
