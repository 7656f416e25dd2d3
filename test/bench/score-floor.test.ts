// The ppl sweep's arithmetic floor reported by `bench score`: (L+1)/(2L) full passes per block when
// the head costs nothing, and above it as the head grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepFlopFloor } from '../../src/bench/score.js';

const shape = {
  numLayers: 16,
  hiddenSize: 64,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 172,
};

test('the sweep floor is (L+1)/(2L) without a head and grows with the vocabulary', () => {
  const noHead = sweepFlopFloor({ ...shape, vocabSize: 0 }, 8);
  assert.ok(Math.abs(noHead - 17 / 32) < 1e-12, `${noHead}`);
  const small = sweepFlopFloor({ ...shape, vocabSize: 512 }, 8);
  const large = sweepFlopFloor({ ...shape, vocabSize: 32000 }, 8);
  assert.ok(noHead < small && small < large && large < 1, `${small} ${large}`);
});
