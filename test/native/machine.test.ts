// Thread count and ISA controls, and the addon's refusal of bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeIsa, availableIsas, gemmF32, setIsa, setThreadCount, threadCount } from '../../src/native/index.js';

test('ISA paths can be forced down and back', () => {
  const paths = availableIsas();
  assert.ok(paths.includes('portable'));
  for (const p of paths) {
    assert.equal(setIsa(p), true);
    assert.equal(activeIsa(), p);
  }
  setIsa(paths[0]);
});

test('thread count can be changed', () => {
  const before = threadCount();
  setThreadCount(1);
  assert.equal(threadCount(), 1);
  setThreadCount(before);
  assert.equal(threadCount(), before);
});

test('gemm refuses arrays too short for the shape', () => {
  const a = new Float32Array(6),
    b = new Float32Array(6),
    c = new Float32Array(3);
  assert.throws(() => gemmF32({ m: 2, n: 2, k: 3, a, b, c }), /argument 11 is too short/);
  assert.throws(() => gemmF32({ m: 2, n: 3, k: 3, a, b: new Float32Array(8), c: new Float32Array(6) }), /argument 8/);
  assert.throws(() => gemmF32({ m: 2, n: 2, k: 2, a, lda: 1, b, c: new Float32Array(4) }), /row stride/);
});
