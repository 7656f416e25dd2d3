// The timing rule on synthetic timings: the order-statistics interval for a median, the stopping
// rule (precise enough, or out of budget), the ideal speed-up from the work per token, and the flag
// for a measured speed-up beyond it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import { beyondIdeal, idealSpeedup, workPerToken } from '../../src/bench/ideal-speedup.js';
import {
  estimateRatio,
  formatRatio,
  medianIntervalRanks,
  preciseEnough,
} from '../../src/bench/paired-ratio.js';
import { timedRounds } from '../../src/bench/timed-rounds.js';
import { removeBlocks } from '../../src/prune/cut.js';
import { mulberry32 } from '../helpers/random.js';

test('the 95% interval for a median uses the order statistics of the binomial table', () => {
  assert.equal(medianIntervalRanks(5), null, 'five rounds cannot give 95%: 2 × 1/32 > 5%');
  assert.deepEqual(medianIntervalRanks(6), [1, 6]);
  assert.deepEqual(medianIntervalRanks(9), [2, 8]);
  assert.deepEqual(medianIntervalRanks(10), [2, 9]);
  assert.deepEqual(medianIntervalRanks(20), [6, 15]);
  assert.deepEqual(medianIntervalRanks(100), [40, 61]);
});

test('estimateRatio: median and interval of the rounds; formatted as median (low–high)', () => {
  const e = estimateRatio([1.3, 1.1, 1.2, 1.15, 1.25, 1.18]);
  assert.deepEqual([e.low, e.high, e.rounds], [1.1, 1.3, 6]);
  assert.ok(Math.abs(e.median - 1.19) < 1e-12);
  assert.equal(formatRatio(e), '1.19× (1.10–1.30)');
  assert.equal(formatRatio(estimateRatio([1.2, 1.6])), '1.40× (no interval: 2 rounds)');
  assert.equal(preciseEnough(e, 0.05), false);
  assert.equal(preciseEnough(estimateRatio([1.19, 1.2, 1.21, 1.2, 1.18, 1.22]), 0.05), true);
  assert.equal(preciseEnough(estimateRatio([1.2, 1.2, 1.2]), 0.05), false, 'no interval yet');
});

/** A fake clock that advances by what each synthetic timing takes. */
function fakeTimer(latency: (k: number, round: number) => number) {
  let now = 0;
  const counts = [0, 0];
  return {
    clock: () => now,
    measure: (k: number) => {
      const t = latency(k, counts[k]++);
      now += t;
      return t;
    },
  };
}

test('steady timings stop as soon as an interval exists, at six rounds', () => {
  const t = fakeTimer((k, i) => (k === 0 ? 1.2 : 1.0) * (1 + 0.001 * (i % 3)));
  const r = timedRounds({ models: 2, ...t, budgetS: 1000, precision: 0.05 });
  assert.equal(r.stop, 'precise');
  assert.equal(r.times[1].length, 6);
  assert.ok(Math.abs(r.speedups[1].median - 1.2) < 0.01);
});

test('noisy timings run until the budget, and the interval still holds the true ratio', () => {
  const rand = mulberry32(5);
  // Each round's machine state scales both models alike; each timing adds ±30% of its own noise.
  const t = fakeTimer((k) => (k === 0 ? 1.2 : 1.0) * (1 + 0.6 * (rand() - 0.5)));
  const r = timedRounds({ models: 2, ...t, budgetS: 40, precision: 0.05 });
  assert.equal(r.stop, 'budget');
  const e = r.speedups[1];
  assert.ok(e.low !== null && e.high !== null && e.low <= 1.2 && 1.2 <= e.high, formatRatio(e));
  assert.ok(t.clock() >= 40 && t.clock() < 40 + 2 * 1.2 * 1.3 + 1e-9, 'no round starts after the budget');
});

test('rounds alternate which model runs first', () => {
  const order: number[] = [];
  timedRounds({
    models: 3,
    measure: (k) => (order.push(k), 1),
    budgetS: 1000,
    precision: 0.05,
    maxRounds: 3,
    clock: () => 0,
  });
  assert.deepEqual(order, [0, 1, 2, 1, 2, 0, 2, 0, 1]);
});

test('the ideal speed-up is the weight-bytes ratio at batch 1 and the FLOPs ratio above it', () => {
  const w = syntheticLlama(
    {
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 12,
      numHeads: 4,
      numKvHeads: 2,
      vocabSize: 256,
      maxSeqLen: 64,
    },
    { seed: 1 },
  );
  const pruned = removeBlocks(w, [8, 9]);
  const a = workPerToken(w, 32);
  const b = workPerToken(pruned, 32);
  const perBlock = (a.weight_bytes - b.weight_bytes) / 2;
  // The untied embedding is a row lookup, not read whole: only the classifier and the blocks count.
  assert.equal(a.weight_bytes, 12 * perBlock + 4 * (256 * 64 + 64));
  const one = idealSpeedup(a, b, 1);
  assert.equal(one.basis, 'weight bytes');
  assert.ok(one.ideal > 1 && one.ideal < 12 / 10);
  assert.equal(idealSpeedup(a, b, 16).basis, 'FLOPs');
  // The case: 1.68× at batch 1 for 2 of 12 blocks cannot be, even with a wide interval.
  assert.equal(beyondIdeal(estimateRatio([1.5, 1.6, 1.68, 1.7, 1.75, 1.8]), one.ideal), true);
  assert.equal(beyondIdeal(estimateRatio([1.1, 1.15, 1.18, 1.2, 1.22, 1.3]), one.ideal), false);
});
