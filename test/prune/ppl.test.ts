// The cached ppl sweep against the naive one (cut the model, run llamaForward from the start), the
// block runner against llamaForward, and the other calibration criteria on small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, llamaForward, nextTokenTargets } from '../../src/model/llama-forward.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { batchShape, embed, runBlock, runHead, weightSource } from '../../src/model/block.js';
import { angularScores } from '../../src/prune/criteria/angular.js';
import { blockInfluenceScores } from '../../src/prune/criteria/block-influence.js';
import { scoreUnits } from '../../src/prune/criteria/index.js';
import { magnitudeScores } from '../../src/prune/criteria/magnitude.js';
import { pplScores } from '../../src/prune/criteria/ppl.js';
import { removeUnits } from '../../src/prune/cut.js';
import type { PruneUnit } from '../../src/prune/units.js';
import type { CalibrationSet } from '../../src/text/calibration.js';
import { calibrationIds, readCalibrationDocuments, sampleCalibration } from '../../src/text/calibration.js';
import { textSubjects } from '../helpers/text-subjects.js';
import { openDefaultModelF32 } from '../helpers/project-models.js';
import { randomCalibration, tinyModel } from './tiny-models.js';

function naivePpl(w: ModelWeights, calib: CalibrationSet): number {
  const T = calib.settings.seqLen;
  const B = calib.windows.length;
  const ids = calibrationIds(calib);
  const r = llamaForward(buildModel(w), ids, { batch: B, seqLen: T, targets: nextTokenTargets(ids, B, T) });
  return Math.exp(r.nllSum! / r.tokenCount!);
}

function naiveSweep(w: ModelWeights, calib: CalibrationSet, unit: PruneUnit): number[] {
  return Array.from({ length: w.config.numLayers }, (_, i) => naivePpl(removeUnits(w, unit, [i]), calib));
}

function assertClose(a: readonly number[], b: readonly number[], rel: number): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= rel * Math.abs(b[i]), `${i}: ${x} vs ${b[i]}`));
}

test('the block runner gives llamaForward’s loss, including a pruned sublayer', () => {
  const w = removeUnits(tinyModel(1), 'attn', [2]);
  const calib = randomCalibration(2, 3, 7, w.config.vocabSize);
  const src = weightSource(w);
  const ids = calibrationIds(calib);
  const shape = batchShape(w.config, 3, 7);
  let h = embed(src, ids);
  for (let l = 0; l < w.config.numLayers; l++) h = runBlock(src, l, h, shape);
  const ours = runHead(src, h, nextTokenTargets(ids, 3, 7));
  assert.equal(Math.exp(ours.nllSum / ours.count), naivePpl(w, calib));
});

test('cached ppl sweep equals the naive sweep (tiny model, every unit; micro-batches)', () => {
  const w = tinyModel(4);
  const calib = randomCalibration(5, 5, 9, w.config.vocabSize);
  for (const unit of ['block', 'attn', 'mlp'] as const) {
    const cached = pplScores(w, calib, { unit, batchSize: 2 });
    assertClose(cached.scores, naiveSweep(w, calib, unit), 1e-6);
    assert.ok(Math.abs(cached.baselinePpl! - naivePpl(w, calib)) < 1e-6 * cached.baselinePpl!);
  }
});

// Trained models: the project's default model on stories it sampled itself, and stories260K.
const SUBJECTS = textSubjects({ name: 'the default model', open: openDefaultModelF32, stories: 12 });

for (const subject of SUBJECTS)
  test(`cached ppl sweep equals the naive sweep on ${subject.name}`, { skip: subject.skip }, () => {
    const m = subject.open();
    const calib = sampleCalibration(readCalibrationDocuments(subject.textFile()), m.tokenizer, {
      samples: 10,
      seqLen: 128,
      seed: 1234,
    });
    const cached = pplScores(m.weights, calib, { unit: 'block' });
    assertClose(cached.scores, naiveSweep(m.weights, calib, 'block'), 1e-6);
    // Removing any block of a trained model costs perplexity.
    for (const s of cached.scores) assert.ok(s > cached.baselinePpl!);
  });

test('iterative ppl: each step equals a one-shot sweep of the model cut so far', () => {
  const w = tinyModel(9, { numLayers: 5 });
  const calib = randomCalibration(6, 3, 8, w.config.vocabSize);
  const it = scoreUnits(w, calib, {
    criterion: 'ppl',
    unit: 'block',
    iterative: { candidates: [1, 2, 3], target: 2 },
  });
  const first = pplScores(w, calib, { unit: 'block', only: [1, 2, 3] });
  assert.equal(it.order[0], first.order[0]);
  assertClose(it.steps![0].scores, first.scores, 0);
  const cut = removeUnits(w, 'block', [first.order[0]]);
  const renumbered = [1, 2, 3]
    .filter((b) => b !== first.order[0])
    .map((b) => (b > first.order[0] ? b - 1 : b));
  const second = pplScores(cut, calib, { unit: 'block', only: renumbered });
  assertClose(it.steps![1].scores, second.scores, 0);
  assert.equal(it.order.length, 2);
  assert.ok(!it.order.includes(0) && !it.order.includes(4));
});

test('bi, angular and magnitude follow their definitions', () => {
  const w = tinyModel(11, { numLayers: 3 });
  const calib = randomCalibration(8, 2, 5, w.config.vocabSize);
  const T = 5;
  // Reference states from llamaForward's hooks.
  const ids = calibrationIds(calib);
  const inputs: Float32Array[] = [];
  let last: Float32Array | null = null;
  llamaForward(buildModel(w), ids, {
    batch: 2,
    seqLen: T,
    hooks: {
      blockInput: (_, h) => inputs.push(Float32Array.from(h.data)),
      blockOutput: (_, h) => (last = Float32Array.from(h.data)),
    },
  });
  inputs.push(last!);
  const C = w.config.hiddenSize;
  const cos = (a: Float32Array, b: Float32Array, row: number): number => {
    let d = 0,
      na = 0,
      nb = 0;
    for (let c = row * C; c < (row + 1) * C; c++) {
      d += a[c] * b[c];
      na += a[c] ** 2;
      nb += b[c] ** 2;
    }
    return d / Math.sqrt(na * nb);
  };
  const bi = blockInfluenceScores(w, calib, { unit: 'block' });
  for (let l = 0; l < 3; l++) {
    let s = 0;
    for (let r = 0; r < 2 * T; r++) s += 1 - cos(inputs[l], inputs[l + 1], r);
    assert.ok(Math.abs(bi.scores[l] - s / (2 * T)) < 1e-9);
  }
  const ang = angularScores(w, calib, { unit: 'block', run: 2 });
  assert.deepEqual(ang.indices, [0, 1]);
  for (const l of [0, 1]) {
    const d =
      [T - 1, 2 * T - 1].reduce((s, r) => s + Math.acos(cos(inputs[l], inputs[l + 2], r)) / Math.PI, 0) / 2;
    assert.ok(Math.abs(ang.scores[l] - d) < 1e-9);
  }
  assert.equal(ang.order[0], ang.scores[0] <= ang.scores[1] ? 0 : 1);
  const mag = magnitudeScores(w, null, { unit: 'block' });
  const first = [...w.tensors].filter(([n]) => n.startsWith('model.layers.0.'));
  const want = first.reduce(
    (s, [, t]) => s + (t.data as Float32Array).reduce((a, v) => a + Math.abs(v), 0),
    0,
  );
  assert.ok(Math.abs(mag.scores[0] - want) < 1e-9 * want);
});
