// Width pruning on stories260K and on the project's random model of its shape: the result loads and runs as an ordinary HF folder, its
// parameter count matches the depth-pruned model's, removing nothing reproduces the logits,
// and a unit with zeroed weights is the one removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textSubjects } from '../helpers/text-subjects.js';
import { smallTwin } from '../helpers/project-models.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { LlamaInference } from '../../src/model/inference.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { parameterCount, removeBlocks } from '../../src/prune/cut.js';
import { planWidth } from '../../src/prune/width/budget.js';
import { runWidthPrune } from '../../src/prune/width/command.js';
import { widthPrune } from '../../src/prune/width/width-prune.js';
import { sampleCalibration, readCalibrationDocuments } from '../../src/text/calibration.js';

// The project's random model of stories260K's shape on sampled stories, and stories260K itself.
const SUBJECTS = textSubjects({ name: 'small twin', open: smallTwin, stories: 6 });

for (const subject of SUBJECTS) {
  if (subject.skip) {
    test(`${subject.name}: width pruning`, { skip: subject.skip }, () => {});
    continue;
  }
  const model = subject.open();
  const ids = Int32Array.from([
    model.tokenizer.bosId,
    ...model.tokenizer.encode('Once upon a time, there was a big dog.'),
  ]);

  function logits(w: ModelWeights): Float32Array {
    const m = new LlamaInference(w);
    return m.forward(ids, 1, m.newCache(1, ids.length));
  }

  test(
    `${subject.name}: width-pruned at 20% loads from its HF folder, runs, and has the depth-pruned parameter count`,
    { skip: subject.skip },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shorten-width-'));
      try {
        const out = join(dir, 'w20');
        const log = process.stdout.write;
        let printed = '';
        process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
        try {
          await runWidthPrune(model, {
            remove: '20%',
            out,
            format: 'hf',
            score: 'magnitude',
            samples: 2,
            seqLen: 32,
            seed: 1,
            json: true,
          });
        } finally {
          process.stdout.write = log;
        }
        const summary = JSON.parse(printed) as { parameters_after: number; target_parameters: number };
        const reopened = openModel(out);
        const c = reopened.weights.config;
        const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, number>;
        assert.equal(cfg.num_attention_heads, c.numHeads);
        assert.equal(c.numKvHeads, 3);
        assert.equal(c.numHeads, 6);
        assert.ok(c.intermediateSize < model.weights.config.intermediateSize);
        const depth = parameterCount(removeBlocks(model.weights, [2]));
        assert.equal(summary.target_parameters, depth);
        const got = parameterCount(reopened.weights);
        assert.equal(got, summary.parameters_after);
        assert.ok(Math.abs(got - depth) <= c.numLayers * 1.5 * c.hiddenSize, `${got} vs ${depth}`);
        const out2 = logits(reopened.weights);
        assert.ok(out2.every(Number.isFinite));
        const m = inferenceOf(reopened);
        assert.equal(m.config.headDim, 8);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    `${subject.name}: removing nothing reproduces the original logits exactly (wanda scores on calibration text)`,
    { skip: subject.skip },
    () => {
      const calib = sampleCalibration(readCalibrationDocuments(subject.textFile()), model.tokenizer, {
        samples: 2,
        seqLen: 32,
        seed: 3,
      });
      const r = widthPrune(model.weights, 0, 'wanda', calib);
      assert.equal(r.parameters, parameterCount(model.weights));
      assert.deepEqual(logits(r.weights), logits(model.weights));
    },
  );

  test(
    `${subject.name}: the KV group and MLP channel with zeroed weights are the ones removed`,
    { skip: subject.skip },
    () => {
      const tensors = new Map(model.weights.tensors);
      const c = model.weights.config;
      const zeroRows = (name: string, r0: number, r1: number) => {
        const t = tensors.get(name)!;
        const data = Float32Array.from(t.data as Float32Array);
        data.fill(0, r0 * t.shape[1], r1 * t.shape[1]);
        tensors.set(name, { ...t, data });
      };
      for (let l = 0; l < c.numLayers; l++) {
        const p = `model.layers.${l}.`;
        const hd = c.headDim;
        zeroRows(p + 'self_attn.q_proj.weight', 2 * 2 * hd, 3 * 2 * hd);
        zeroRows(p + 'self_attn.k_proj.weight', 2 * hd, 3 * hd);
        zeroRows(p + 'self_attn.v_proj.weight', 2 * hd, 3 * hd);
        zeroRows(p + 'mlp.gate_proj.weight', 7, 8);
        zeroRows(p + 'mlp.up_proj.weight', 7, 8);
      }
      const plan = planWidth(c, 1, parameterCount(model.weights));
      assert.equal(plan.kvGroupsKept, 3);
      const r = widthPrune({ config: c, tensors }, 1, 'magnitude', null);
      for (let l = 0; l < c.numLayers; l++) {
        assert.deepEqual(r.kvGroupsKept[l], [0, 1, 3]);
        assert.ok(!r.channelsKept[l].includes(7));
      }
    },
  );
}
