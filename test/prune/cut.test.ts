// Plan and cut: the remove target and its rounding, the "+" heuristic's candidates, renumbering, and
// pruned models written as HF folders and GGUF files that reload with identical logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaInference } from '../../src/model/inference.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { cutModel, planDepthPrune, pruneRecord, writePrunedModel } from '../../src/prune/depth-prune.js';
import { removeBlocks, removeSublayers } from '../../src/prune/cut.js';
import { candidateBlocks, chooseRemoval, parseRemoveTarget } from '../../src/prune/plan.js';
import { unitScores } from '../../src/prune/units.js';
import { readCalibrationDocuments, sampleCalibration } from '../../src/text/calibration.js';
import { textSubjects } from '../helpers/text-subjects.js';
import { smallTwin } from '../helpers/project-models.js';
import { tinyModel } from './tiny-models.js';

test('remove targets, candidates and choices', () => {
  assert.equal(parseRemoveTarget('20%', 32), 6);
  assert.equal(parseRemoveTarget('20%', 16), 3);
  assert.equal(parseRemoveTarget('25%', 10), 3);
  assert.equal(parseRemoveTarget('7', 32), 7);
  assert.throws(() => parseRemoveTarget('0', 32), /--remove/);
  assert.throws(() => parseRemoveTarget('150%', 32), /--remove/);
  assert.deepEqual(candidateBlocks(10, 4, 2), [4, 5, 6, 7]);
  assert.deepEqual(candidateBlocks(10, 0, 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s = unitScores('taylor', 'block', [0, 1, 2, 3, 4, 5], [1, 9, 3, 2, 8, 0.5]);
  assert.deepEqual(s.order, [5, 0, 3, 2, 4, 1]);
  assert.deepEqual(chooseRemoval(s, 2, [1, 2, 3, 4]), [2, 3]);
  assert.throws(() => chooseRemoval(s, 5, [1, 2, 3, 4]), /cannot remove 5 blocks: only 4 candidates/);
  const ang = unitScores('angular', 'block', [0, 1, 2, 3], [0.1, 0.3, 0.2, 0.05], { run: 2 });
  assert.deepEqual(chooseRemoval(ang, 2, [1, 2, 3]), [2, 3]);
  assert.deepEqual(chooseRemoval(ang, 2, [0, 1, 2]), [0, 1]);
  assert.throws(() => chooseRemoval(ang, 3, [0, 1, 2, 3]), /runs of 2 blocks/);
});

test('removeBlocks renumbers kept blocks in order; sublayer removal is recorded', () => {
  const w = tinyModel(2, { numLayers: 5 });
  const cut = removeBlocks(removeSublayers(w, 'mlp', [3]), [1, 2]);
  assert.equal(cut.config.numLayers, 3);
  assert.deepEqual(cut.config.prunedMlp, [1]);
  assert.equal(
    cut.tensors.get('model.layers.1.self_attn.q_proj.weight'),
    w.tensors.get('model.layers.3.self_attn.q_proj.weight'),
  );
  assert.equal(
    cut.tensors.get('model.layers.2.mlp.up_proj.weight'),
    w.tensors.get('model.layers.4.mlp.up_proj.weight'),
  );
  assert.equal(cut.tensors.has('model.layers.1.mlp.up_proj.weight'), false);
  assert.equal(cut.tensors.has('model.layers.3.input_layernorm.weight'), false);
  assert.throws(() => removeBlocks(w, [5]), /block 5 is not in \[0, 5\)/);
  assert.throws(() => removeBlocks(w, [0, 1, 2, 3, 4]), /cannot remove all 5 blocks/);
});

function logits(w: ModelWeights, ids: number[]): Float32Array {
  const m = new LlamaInference(w);
  return m.forward(Int32Array.from(ids), 1, m.newCache(1, ids.length));
}

// The project's random model of stories260K's shape (the same 260,032 parameters) on sampled
// stories, and stories260K itself.
const SUBJECTS = textSubjects({ name: 'the small twin', open: smallTwin, stories: 6 });

for (const subject of SUBJECTS)
  test(
    `pruned ${subject.name} written as HF and GGUF reloads with identical logits`,
    { skip: subject.skip },
    (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'shorten-prune-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const m = subject.open();
      const calib = sampleCalibration(readCalibrationDocuments(subject.textFile()), m.tokenizer, {
        samples: 3,
        seqLen: 64,
        seed: 1,
      });
      const ids = [1, ...m.tokenizer.encode('Once upon a time, there was a little dog')];
      for (const [unit, format] of [
        ['block', 'hf'],
        ['block', 'gguf'],
        ['attn', 'hf'],
      ] as const) {
        const opts = {
          unit,
          criterion: 'taylor',
          remove: '2',
          protectFirst: 1,
          protectLast: 1,
          calib,
        } as const;
        const plan = planDepthPrune(m.weights, opts);
        assert.equal(plan.removed.length, 2);
        assert.ok(plan.removed.every((b) => b >= 1 && b <= 3));
        const pruned = cutModel(m.weights, unit, plan.removed);
        const out = join(dir, `${unit}.${format === 'hf' ? 'hf' : 'gguf'}`);
        const recordPath = writePrunedModel(
          pruned,
          m.tokenizer,
          out,
          format,
          pruneRecord('x', m.weights, pruned, plan, opts),
        );
        const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, unknown>;
        assert.deepEqual(record.removed, plan.removed);
        assert.equal(record.parameters_before, 260032);
        assert.ok((record.parameters_after as number) < 260032);
        const back = openModel(out);
        assert.equal(back.weights.config.numLayers, unit === 'block' ? 3 : 5);
        assert.deepEqual(back.weights.config.prunedAttention, unit === 'attn' ? plan.removed : []);
        assert.deepEqual(back.tokenizer.encode('a dog'), m.tokenizer.encode('a dog'));
        assert.deepEqual(logits(back.weights, ids), logits(pruned, ids));
      }
      assert.throws(
        () =>
          planDepthPrune(m.weights, {
            unit: 'block',
            criterion: 'magnitude',
            remove: '20%',
            protectFirst: 4,
            protectLast: 2,
            calib: null,
          }),
        /asks for 1 of 5 blocks but only 0 are candidates/,
      );
    },
  );
