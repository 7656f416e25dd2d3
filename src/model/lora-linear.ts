// LoRA on a Linear layer, composed from the tape's ops: y = x·Wᵀ + b + (alpha/r)·dropout(x)·Aᵀ·Bᵀ,
// W frozen (may stay bf16/mmapped), A [r, in] and B [out, r] trainable; the branch is one fused op.
import { linear } from '../tensor/ops/linear.js';
import { addLoraBranch, dropoutKeeps, dropoutSeed } from '../tensor/ops/lora-branch.js';
import { recordingTape } from '../tensor/tape.js';
import type { FloatArray, Weight } from '../tensor/tensor.js';
import { Tensor, allocFloat } from '../tensor/tensor.js';

/** One wrapped Linear: the low-rank pair and how its branch is applied. */
export interface LoraAdapter {
  /** [r, in]. */
  a: Tensor;
  /** [out, r]. */
  b: Tensor;
  /** alpha / r. */
  scale: number;
  /** Probability of zeroing an input element of the branch while training. */
  dropout: number;
}

/** Inverted dropout mask: 0 with probability p, else 1/(1-p), drawn as the fused branch draws it. */
export function dropoutMask(kind: 'f32' | 'f64', n: number, p: number, rand: () => number): FloatArray {
  const mask = allocFloat(kind, n);
  const keep = dropoutKeeps(n, p, dropoutSeed(rand));
  for (let i = 0; i < n; i++) mask[i] = keep[i] ? 1 / (1 - p) : 0;
  return mask;
}

export function maskForward(out: FloatArray, inp: FloatArray, mask: FloatArray, N: number): void {
  for (let i = 0; i < N; i++) out[i] = inp[i] * mask[i];
}

/** Accumulates mask·dout into dinp. */
export function maskBackward(dinp: FloatArray, dout: FloatArray, mask: FloatArray, N: number): void {
  for (let i = 0; i < N; i++) dinp[i] += dout[i] * mask[i];
}

/** x ⊙ mask (a fixed, non-trainable mask such as dropout's): the composed reference of the tests. */
export function applyMask(x: Tensor, mask: FloatArray): Tensor {
  if (mask.length !== x.size)
    throw new RangeError(`applyMask: mask has ${mask.length} elements, expected ${x.size}`);
  const out = Tensor.zeros(x.shape, x.kind);
  maskForward(out.data, x.data, mask, x.size);
  const tape = recordingTape(x);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (out.grad) maskBackward(x.ensureGrad(), out.grad, mask, x.size);
    }, out);
  }
  return out;
}

/**
 * The LoRA-wrapped Linear. `rand` switches dropout on (training); without it the branch sees x
 * unchanged, as PEFT's module in eval mode.
 */
export function loraLinear(
  x: Tensor,
  weight: Weight,
  bias: Weight | null,
  adapter: LoraAdapter,
  rand?: () => number,
): Tensor {
  const base = linear(x, weight, bias);
  const dropout = rand && adapter.dropout > 0 ? { p: adapter.dropout, seed: dropoutSeed(rand) } : null;
  return addLoraBranch(base, x, adapter, dropout);
}
