// Central finite differences in float64 against the tape's gradients, for any function of tensors.
import assert from 'node:assert/strict';
import { Tape, noGrad } from '../../src/tensor/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';

export function randomTensor(shape: number[], rand: () => number, requiresGrad = true, scale = 1): Tensor {
  const t = Tensor.zeros(shape, 'f64', requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = (rand() * 2 - 1) * scale;
  return t;
}

function projection(out: Tensor, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * weights[i];
  return s;
}

/**
 * Checks d(Σ out·R)/d(input) for every element of every input, R a fixed random projection (a
 * scalar output such as a loss uses R = 1). Returns the worst relative error for reporting.
 */
export function checkGradients(
  build: () => Tensor,
  inputs: Tensor[],
  rand: () => number,
  { step = 1e-6, tolerance = 1e-6 }: { step?: number; tolerance?: number } = {},
): number {
  for (const t of inputs) t.grad = null;
  const tape = new Tape();
  const out = tape.run(build);
  const weights = new Float64Array(out.size);
  for (let i = 0; i < weights.length; i++) weights[i] = out.size === 1 ? 1 : rand() * 2 - 1;
  tape.backward(out, weights);
  let worst = 0;
  inputs.forEach((t, which) => {
    const analytic = t.grad ?? new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const saved = t.data[i];
      t.data[i] = saved + step;
      const plus = noGrad(() => projection(build(), weights));
      t.data[i] = saved - step;
      const minus = noGrad(() => projection(build(), weights));
      t.data[i] = saved;
      const numeric = (plus - minus) / (2 * step);
      const err = Math.abs(analytic[i] - numeric) / Math.max(1, Math.abs(numeric));
      worst = Math.max(worst, err);
      assert.ok(
        err <= tolerance,
        `input ${which} element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`,
      );
    }
  });
  return worst;
}
