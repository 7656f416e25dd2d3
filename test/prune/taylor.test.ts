// The Taylor criterion against the same formula computed two independent ways: by finite differences
// on a tiny random model, and by a float64 tape on stories260K (4 × 128 TinyStories windows, to keep the float64 side short).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, llamaForward, nextTokenTargets } from '../../src/model/llama-forward.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { taylorScores } from '../../src/prune/criteria/taylor.js';
import { unitWeightNames } from '../../src/prune/units.js';
import type { Tensor } from '../../src/tensor/index.js';
import { Tape } from '../../src/tensor/index.js';
import type { CalibrationSet } from '../../src/text/calibration.js';
import { calibrationIds, readCalibrationDocuments, sampleCalibration } from '../../src/text/calibration.js';
import { textSubjects } from '../helpers/text-subjects.js';
import { smallTwin } from '../helpers/project-models.js';
import { randomCalibration, tinyModel } from './tiny-models.js';

/** Σ over batches of each batch's mean loss, in float64. */
function f64Loss(
  model: ReturnType<typeof buildModel>,
  calib: CalibrationSet,
  batchSize: number,
  tape?: Tape,
): Tensor[] {
  const T = calib.settings.seqLen;
  const ids = calibrationIds(calib);
  const B = calib.windows.length;
  const losses: Tensor[] = [];
  for (let s = 0; s < B; s += batchSize) {
    const rows = Math.min(batchSize, B - s);
    const part = ids.subarray(s * T, (s + rows) * T);
    const r = llamaForward(model, part, {
      batch: rows,
      seqLen: T,
      targets: nextTokenTargets(part, rows, T),
      tape,
    });
    losses.push(r.loss!);
  }
  return losses;
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

test('taylor on a tiny random model equals the formula with finite-difference gradients', () => {
  const w = tinyModel(7, { numLayers: 3 });
  const calib = randomCalibration(3, 3, 6, w.config.vocabSize);
  const got = taylorScores(w, calib, { unit: 'block', batchSize: 2 });
  const names = [0, 1, 2].flatMap((l) => unitWeightNames(w.config, l, 'block'));
  const model = buildModel(w, { kind: 'f64', trainable: names });
  const loss = (): number => f64Loss(model, calib, 2).reduce((s, t) => s + t.data[0], 0);
  const eps = 1e-5;
  for (let l = 0; l < 3; l++) {
    let score = 0;
    for (const name of unitWeightNames(w.config, l, 'block')) {
      const p = model.weights.get(name) as Tensor;
      for (let i = 0; i < p.size; i++) {
        const keep = p.data[i];
        p.data[i] = keep + eps;
        const up = loss();
        p.data[i] = keep - eps;
        const down = loss();
        p.data[i] = keep;
        score += Math.abs(keep * ((up - down) / (2 * eps)));
      }
    }
    assert.ok(relErr(got.scores[l], score) < 1e-4, `block ${l}: ${got.scores[l]} vs ${score}`);
  }
  // Sublayer units split the block score exactly.
  const attn = taylorScores(w, calib, { unit: 'attn', batchSize: 2 });
  const mlp = taylorScores(w, calib, { unit: 'mlp', batchSize: 2 });
  for (let l = 0; l < 3; l++) assert.ok(relErr(attn.scores[l] + mlp.scores[l], got.scores[l]) < 1e-12);
});

function f64Taylor(w: ModelWeights, calib: CalibrationSet): number[] {
  const L = w.config.numLayers;
  const names = Array.from({ length: L }, (_, l) => unitWeightNames(w.config, l, 'block')).flat();
  const model = buildModel(w, { kind: 'f64', trainable: names });
  const tape = new Tape();
  const [loss] = f64Loss(model, calib, calib.windows.length, tape);
  tape.backward(loss);
  return Array.from({ length: L }, (_, l) =>
    unitWeightNames(w.config, l, 'block').reduce((s, n) => {
      const p = model.weights.get(n) as Tensor;
      let a = 0;
      for (let i = 0; i < p.size; i++) a += Math.abs(p.data[i] * p.grad![i]);
      return s + a;
    }, 0),
  );
}

// The project's random model of stories260K's shape on sampled stories, and stories260K itself.
const SUBJECTS = textSubjects({ name: 'the small twin', open: smallTwin, stories: 8 });

for (const subject of SUBJECTS)
  test(
    `taylor on ${subject.name} agrees with a float64 tape implementation to 1e-4`,
    { skip: subject.skip },
    () => {
      const m = subject.open();
      const calib = sampleCalibration(readCalibrationDocuments(subject.textFile()), m.tokenizer, {
        samples: 4,
        seqLen: 128,
        seed: 1234,
      });
      const got = taylorScores(m.weights, calib, { unit: 'block' });
      const want = f64Taylor(m.weights, calib);
      got.scores.forEach((s, l) => assert.ok(relErr(s, want[l]) < 1e-4, `block ${l}: ${s} vs ${want[l]}`));
      assert.deepEqual(got.indices, [0, 1, 2, 3, 4]);
      assert.deepEqual(
        got.order,
        [...got.indices].sort((a, b) => got.scores[a] - got.scores[b]),
      );
    },
  );
