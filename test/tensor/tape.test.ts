// The tape's recording rules: nothing is recorded without a tape, under noGrad, or when no input
// needs a gradient; gradients accumulate across backward passes until zeroGrad; intermediates'
// gradients go back to the pool as backward passes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tape, Tensor, add, linear, noGrad, scale } from '../../src/tensor/index.js';
import type { FloatArray } from '../../src/tensor/tensor.js';

const ones = (shape: number[], requiresGrad = false): Tensor => {
  const t = Tensor.zeros(shape, 'f64', requiresGrad);
  t.data.fill(1);
  return t;
};

test('no tape, noGrad and frozen inputs record nothing', () => {
  const x = ones([2, 3], true);
  const frozen = ones([4, 3]);
  assert.equal(scale(x, 2).requiresGrad, false, 'no active tape');
  const tape = new Tape();
  tape.run(() => noGrad(() => scale(x, 2)));
  assert.equal(tape.length, 0, 'noGrad inside a tape');
  const y = tape.run(() => linear(ones([2, 3]), frozen));
  assert.equal(tape.length, 0, 'frozen weight, input without grad');
  assert.equal(y.requiresGrad, false);
  assert.equal(frozen.grad, null);
});

test('gradients accumulate across backward passes until zeroGrad', () => {
  const x = ones([3], true);
  for (let pass = 0; pass < 2; pass++) {
    const tape = new Tape();
    const y = tape.run(() => add(scale(x, 3), x));
    tape.backward(y, [1, 1, 1]);
  }
  assert.deepEqual(Array.from(x.grad ?? []), [8, 8, 8]);
  x.zeroGrad();
  assert.deepEqual(Array.from(x.grad ?? []), [0, 0, 0]);
  assert.throws(() => new Tape().backward(ones([2], true)), /seed/);
});

test("an intermediate's gradient goes back to the pool after the rule that consumes it; leaves, the start and retained tensors keep theirs", () => {
  const x = Tensor.zeros([5], 'f32', true);
  x.data.fill(1);
  const tape = new Tape();
  let a!: Tensor, b!: Tensor, kept!: Tensor, y!: Tensor;
  let aGrad: FloatArray | null = null;
  const start = tape.run(() => {
    a = scale(x, 2);
    // Runs after b's rule has written a's gradient and before a's own rule consumes it.
    tape.record(() => (aGrad = a.grad));
    b = add(a, x);
    kept = scale(b, 1);
    kept.retainGrad = true;
    y = scale(kept, 3);
    return scale(y, 1);
  });
  tape.backward(start, [1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(x.grad ?? []), [9, 9, 9, 9, 9], 'x: 2·3 + 3');
  assert.equal(a.grad, null, 'a is released');
  assert.equal(b.grad, null, 'b is released');
  assert.equal(y.grad, null, 'y is released');
  assert.deepEqual(Array.from(kept.grad ?? []), [3, 3, 3, 3, 3], 'retained');
  assert.deepEqual(Array.from(start.grad ?? []), [1, 1, 1, 1, 1], 'the tensor backward started from');
  assert.ok(aGrad, "a's gradient existed during backward");
  assert.equal(Tensor.empty([5], 'f32').data, aGrad, "the next allocation of that size reuses a's buffer");
});
