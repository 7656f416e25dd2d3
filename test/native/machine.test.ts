// Thread count and ISA controls, the machine probes, and the addon's refusal of bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeIsa,
  availableIsas,
  gemmF32,
  measureF32KernelGflops,
  measurePeakGflops,
  measureSustainedGflops,
  setIsa,
  setThreadCount,
  threadCount,
} from '../../src/native/index.js';

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

test('the FMA probes read a peak and a sustained rate no higher than it', () => {
  const peak = measurePeakGflops(0.1);
  const sustained = measureSustainedGflops(0.15);
  if (availableIsas()[0] === 'portable') {
    assert.equal(peak, 0);
    return;
  }
  assert.ok(peak > 1, `peak ${peak}`);
  assert.ok(sustained > 1, `sustained ${sustained}`);
  // The median of 12 ms bursts against the best 1.5 ms burst: above it only by the drift between the
  // two measurements.
  assert.ok(sustained <= peak * 1.2, `sustained ${sustained} against peak ${peak}`);
});

test('the f32 micro-kernel probe reads a rate on every SIMD path, no higher than the FMA peak, and 0 on portable', () => {
  const paths = availableIsas();
  try {
    for (const p of paths) {
      setIsa(p);
      const kernel = measureF32KernelGflops(0.05);
      if (p === 'portable') {
        assert.equal(kernel, 0);
        continue;
      }
      const peak = measurePeakGflops(0.05);
      assert.ok(Number.isFinite(kernel) && kernel > 1, `${p}: kernel ${kernel}`);
      // Every FMA of the kernel is one the peak probe could have run: above it only by drift.
      assert.ok(kernel <= peak * 1.2, `${p}: kernel ${kernel} against peak ${peak}`);
    }
  } finally {
    setIsa(paths[0]);
  }
});
