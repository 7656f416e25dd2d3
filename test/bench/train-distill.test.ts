// The distillation row of `bench train` on a tiny model: paired KD and CPT rounds give a row with
// finite figures and an interval (no speed is asserted: benchmarks print ratios, tests check shapes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainableModel } from '../../src/bench/bench-models.js';
import { STORIES260K_SHAPE, syntheticLlama } from '../../src/bench/synthetic-model.js';
import { benchDistillStep } from '../../src/bench/train-distill.js';

for (const dtype of ['f32', 'bf16'] as const)
  test(`bench train: the KD row times KD against CPT steps of one student in paired rounds (${dtype})`, () => {
    const student = trainableModel(
      syntheticLlama({ ...STORIES260K_SHAPE, numLayers: 2 }, { seed: 1, dtype }),
    );
    const teacher = syntheticLlama({ ...STORIES260K_SHAPE, numLayers: 3 }, { seed: 2, dtype });
    const [batch, seqLen] = [2, 16];
    const ids = Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 37) % 512);
    const row = benchDistillStep({ student, teacher, ids, batch, seqLen, budgetS: 0, precision: 0.05 });
    assert.equal(row.mode, 'kd');
    assert.equal(row.teacher_layers, 3);
    assert.ok(row.rounds >= 1);
    assert.ok(Number.isFinite(row.tokens_per_s) && row.tokens_per_s > 0);
    assert.ok(Number.isFinite(row.cpt_tokens_per_s) && row.cpt_tokens_per_s > 0);
    assert.ok(row.time_ratio_to_cpt.median > 0);
  });
