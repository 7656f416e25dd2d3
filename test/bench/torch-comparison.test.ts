// Comparisons against PyTorch on synthetic timings: interleaved rounds give our speed over PyTorch's
// with an interval once six rounds ran; too few rounds, sides that ran one after the other, or no
// PyTorch at all each say why in `note`. The asynchronous loop follows the same rule as the
// synchronous one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareRounds,
  formatSpeedup,
  fractionOfCeiling,
  oursOnly,
  unpairedComparison,
} from '../../src/bench/torch-comparison.js';
import { timedRounds, timedRoundsAsync } from '../../src/bench/timed-rounds.js';

/** A fake clock advanced by each synthetic timing, so budgets are in synthetic seconds. */
function fakeSides(ours: (i: number) => number, torch: (i: number) => number) {
  let now = 0;
  let i = 0;
  let j = 0;
  const order: string[] = [];
  return {
    clock: () => now,
    order,
    ours: () => {
      const t = ours(i++);
      now += t;
      order.push('ours');
      return t;
    },
    torch: async () => {
      const t = torch(j++);
      now += t;
      order.push('torch');
      return t;
    },
  };
}

test('steady sides: PyTorch 1.5× slower reads ×1.50 with an interval after six alternating rounds', async () => {
  const s = fakeSides(
    (i) => 1 + 0.001 * (i % 3),
    (i) => 1.5 * (1 + 0.001 * (i % 2)),
  );
  const c = await compareRounds({
    ours: s.ours,
    torch: s.torch,
    noTorch: '',
    budgetS: 1000,
    precision: 0.05,
  });
  assert.equal(c.rounds, 6);
  assert.equal(c.stop, 'precise');
  assert.ok(Math.abs(c.speedup!.median - 1.5) < 0.01);
  assert.ok(c.speedup!.low !== null && c.speedup!.high !== null);
  assert.equal(c.note, null);
  assert.deepEqual(
    s.order.slice(0, 4),
    ['torch', 'ours', 'ours', 'torch'],
    'each round starts with the other side',
  );
  assert.match(formatSpeedup(c), /^×1\.50 \(1\.\d\d–1\.\d\d\) over PyTorch, 6 rounds$/);
});

test('a budget spent before six rounds leaves the ratio without an interval, and says so', async () => {
  const s = fakeSides(
    () => 10,
    () => 20,
  );
  const c = await compareRounds({ ...s, noTorch: '', budgetS: 50, precision: 0.05 });
  assert.equal(c.stop, 'budget');
  assert.equal(c.rounds, 2);
  assert.equal(c.speedup!.median, 2);
  assert.equal(c.speedup!.low, null);
  assert.match(
    c.note!,
    /no interval: 2 rounds within the 50 s budget \(6 give a 95% interval; raise --budget\)/,
  );
  assert.match(formatSpeedup(c), /^×2\.00 over PyTorch, 2 rounds; no interval/);
});

test('without PyTorch our rounds run alone and the note gives the reason', async () => {
  let calls = 0;
  const c = await compareRounds({
    ours: () => (calls++, 0.5),
    torch: null,
    noTorch: 'PyTorch comparison skipped (--no-torch)',
    budgetS: 0,
    precision: 0.05,
  });
  assert.equal(calls, 1, 'budget 0 still runs one round');
  assert.equal(c.speedup, null);
  assert.equal(c.pytorch_s, null);
  assert.equal(c.shorten_s, 0.5);
  assert.equal(formatSpeedup(c), 'no ratio: PyTorch comparison skipped (--no-torch)');
});

test('sides run one after the other give a ratio of medians with no interval and the reason', () => {
  const ours = timedRounds({ models: 1, measure: () => 2, budgetS: 0, precision: 0.05 });
  const torch = timedRounds({ models: 1, measure: () => 3, budgetS: 0, precision: 0.05 });
  const c = unpairedComparison(ours, torch, 'they do not fit in memory together');
  assert.equal(c.speedup!.median, 1.5);
  assert.equal(c.speedup!.low, null);
  assert.equal(c.note, 'no interval: they do not fit in memory together');
  assert.equal(oursOnly(ours, 'absent').note, 'absent');
});

test('fractions of a ceiling per round: median and interval of rate ÷ ceiling', () => {
  const e = fractionOfCeiling([1, 2, 4, 1, 2, 4], (t) => 100 / t, 100);
  assert.equal(e.median, 0.5);
  assert.deepEqual([e.low, e.high], [0.25, 1]);
});

test('the asynchronous loop stops where the synchronous one does, on the same timings', async () => {
  const timing = (k: number, i: number) => (k === 0 ? 1.2 : 1) * (1 + 0.04 * Math.sin(i * 1.7 + k));
  const run = (useAsync: boolean) => {
    let now = 0;
    const counts = [0, 0];
    const measure = (k: number) => {
      const t = timing(k, counts[k]++);
      now += t;
      return t;
    };
    const opts = { models: 2, budgetS: 30, precision: 0.01, clock: () => now };
    return useAsync
      ? timedRoundsAsync({ ...opts, measure: async (k: number) => measure(k) })
      : Promise.resolve(timedRounds({ ...opts, measure }));
  };
  const [a, b] = await Promise.all([run(false), run(true)]);
  assert.deepEqual(a, b);
});
