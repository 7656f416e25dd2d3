// The findings script's pure logic: removal choice, verdict rules, markdown tables, story
// splitting and the settings hash that keys the step cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitStories } from '../scripts/findings/calibration-file.js';
import { markdownTable, num } from '../scripts/findings/markdown.js';
import {
  bestCandidateRun,
  firstCandidates,
  plusCandidates,
  sweepCounts,
} from '../scripts/findings/removal.js';
import { canonicalJson, settingsHash } from '../scripts/findings/step-cache.js';
import {
  averageAccuracyStdError,
  compareSeries,
  competitive,
  lowestAt,
  nonDecreasing,
} from '../scripts/findings/verdict-rules.js';

test('the + candidates and the first k of an order among them', () => {
  assert.deepEqual(plusCandidates(12, 4, 2), [4, 5, 6, 7, 8, 9]);
  assert.deepEqual(plusCandidates(5, 4, 2), []);
  // Protected blocks (0, 11) are skipped; the result is ascending.
  assert.deepEqual(firstCandidates([11, 7, 0, 5, 9, 4], plusCandidates(12, 4, 2), 3), [5, 7, 9]);
  assert.deepEqual(firstCandidates([3, 2], [2, 3], 0), []);
  assert.throws(() => firstCandidates([4, 5], [4, 5, 6], 3), /only 2 of the 3/);
});

test('angular runs: the first run start whose whole run is candidates', () => {
  const cands = plusCandidates(12, 4, 2);
  assert.deepEqual(bestCandidateRun([8, 2, 5], cands, 2), [8, 9]);
  assert.deepEqual(bestCandidateRun([9, 2, 5], cands, 2), [5, 6]);
  assert.throws(() => bestCandidateRun([0, 9], cands, 2), /no run of 2/);
});

test('sweep counts: all up to the maximum, or 0 and the given counts', () => {
  assert.deepEqual(sweepCounts(3), [0, 1, 2, 3]);
  assert.deepEqual(sweepCounts(6, [4, 2, 9]), [0, 2, 4]);
});

test('verdict rules', () => {
  assert.deepEqual(compareSeries([1, 2, 3], [2, 2, 1]), { below: 1, equal: 1, above: 1 });
  assert.throws(() => compareSeries([1], [1, 2]), /1 against 2/);
  assert.deepEqual(
    lowestAt(
      [1, 5, 2],
      [
        [2, 4, 2],
        [3, 6, 9],
      ],
    ),
    [true, false, true],
  );
  assert.equal(nonDecreasing([1, 1, 2]), true);
  assert.equal(nonDecreasing([1, 3, 2]), false);
  // One task, p = 0.5 over 100 questions: SE = 0.05 → 5 points.
  assert.ok(Math.abs(averageAccuracyStdError([{ p: 0.5, n: 100 }]) - 5) < 1e-12);
  // Two such tasks: the average's SE shrinks by √2.
  assert.ok(
    Math.abs(
      averageAccuracyStdError([
        { p: 0.5, n: 100 },
        { p: 0.5, n: 100 },
      ]) -
        5 / Math.SQRT2,
    ) < 1e-12,
  );
  const c = competitive(40, 3, 45, 4); // margin 2·5 = 10
  assert.equal(c.margin, 10);
  assert.equal(c.holds, true);
  assert.equal(competitive(30, 3, 45, 4).holds, false);
});

test('markdown tables align figures right and text left, and reject ragged rows', () => {
  const t = markdownTable(
    ['name', 'ppl'],
    [
      ['a|b', 12.345],
      ['c', null],
    ],
  );
  assert.equal(t, '| name |   ppl |\n| ---- | ----: |\n| a\\|b | 12.35 |\n| c    |     – |\n');
  assert.throws(() => markdownTable(['a', 'b'], [['x']]), /row 0 has 1 cells/);
  assert.equal(num(Infinity), '∞');
  assert.equal(num(NaN), 'NaN');
  assert.equal(num(1.23456, 3), '1.235');
});

test('stories split at <|endoftext|> lines, else at blank lines', () => {
  assert.deepEqual(splitStories('One.\nTwo.\n<|endoftext|>\nThree.\n\nFour.\n<|endoftext|>\n'), [
    'One.\nTwo.',
    'Three.\n\nFour.',
  ]);
  assert.deepEqual(splitStories('a\n\n b \n\n\n'), ['a', 'b']);
});

test('the settings hash ignores key order and undefined fields, and tells settings apart', () => {
  assert.equal(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] }), '{"a":[2,{"c":3}],"b":1}');
  assert.equal(settingsHash('k', { a: 1, b: 2 }), settingsHash('k', { b: 2, a: 1 }));
  assert.notEqual(settingsHash('k', { a: 1 }), settingsHash('k', { a: 2 }));
  assert.notEqual(settingsHash('k', { a: 1 }), settingsHash('j', { a: 1 }));
});
