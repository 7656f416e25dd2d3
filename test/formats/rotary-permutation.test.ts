// The q/k row permutation between interleaved and half-split layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halfSplitToInterleaved, interleavedToHalfSplit } from '../../src/formats/rotary-permutation.js';
import type { WeightTensor } from '../../src/model/weights.js';

test('interleaved → half-split moves pairs (2i, 2i+1) to (i, i + headDim/2) within each head', () => {
  // 2 heads of width 4, one column: row r holds r.
  const t: WeightTensor = { dtype: 'f32', shape: [8, 1], data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) };
  const h = interleavedToHalfSplit(t, 2);
  assert.deepEqual([...h.data], [0, 2, 1, 3, 4, 6, 5, 7]);
  assert.deepEqual(h.shape, [8, 1]);
});

test('the two permutations are inverses, on weights (GQA head counts) and biases, f32 and bf16', () => {
  for (const heads of [1, 2, 4, 8]) {
    const rows = heads * 6;
    const f = new Float32Array(rows * 3).map((_, i) => i * 0.5);
    const w: WeightTensor = { dtype: 'f32', shape: [rows, 3], data: f };
    const there = halfSplitToInterleaved(w, heads);
    assert.notDeepEqual([...there.data], [...f]);
    assert.deepEqual([...interleavedToHalfSplit(there, heads).data], [...f]);
    assert.deepEqual([...halfSplitToInterleaved(interleavedToHalfSplit(w, heads), heads).data], [...f]);
    const bias: WeightTensor = { dtype: 'bf16', shape: [rows], data: new Uint16Array(rows).map((_, i) => i) };
    assert.deepEqual(
      [...interleavedToHalfSplit(halfSplitToInterleaved(bias, heads), heads).data],
      [...bias.data],
    );
  }
});

test('rows that do not split into even-width heads are refused', () => {
  const t: WeightTensor = { dtype: 'f32', shape: [6, 1], data: new Float32Array(6) };
  assert.throws(() => interleavedToHalfSplit(t, 2), /even width/);
});
