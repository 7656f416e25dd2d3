// The tape's recording rules: nothing is recorded without a tape, under noGrad, or when no input
// needs a gradient; gradients accumulate across backward passes until zeroGrad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tape, Tensor, add, linear, noGrad, scale } from '../../src/tensor/index.js';

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
