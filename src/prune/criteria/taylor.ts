// The paper's Taylor criterion: per weight s = W ⊙ ∂L/∂W (L the mean token cross-entropy of a
// calibration batch, gradients summed over batches with their sign), |s| summed over each of a
// block's nine weights, and the block's score the sum. Gradients are computed block by block: one
// no-grad forward keeps the state entering each block, then for the last block down to the first
// the block is recomputed on a tape from that state and run backward from the gradient leaving it.
// Only one block's weight gradients (and one block's activations) exist at a time, for the price of
// one extra forward; embedding, final norm and LM head get no gradient at all. Matrices stay as
// stored (bf16, quantized: expanded only inside each product) and their gradients go into one set of
// buffers reused by every block, so memory holds one block's gradients, never a copy of its weights.
import { expandedF32, freshF32 } from '../../tensor/weight-values.js';
import { Tape } from '../../tensor/tape.js';
import { Tensor, isTensor } from '../../tensor/tensor.js';
import type { FloatArray, Weight } from '../../tensor/tensor.js';
import { linear } from '../../tensor/ops/linear.js';
import { salience as nativeSalience } from '../../native/ops.js';
import type { ModelWeights, WeightTensor } from '../../model/weights.js';
import type { CalibrationSet } from '../../text/calibration.js';
import type { Projection } from '../../model/block.js';
import { runBlock, runHead, weightSource } from '../../model/block.js';
import { calibrationBatches, prefixStates } from '../calibration-batches.js';
import { presentUnits, unitScores, unitWeightNames } from '../units.js';
import type { UnitScores } from '../units.js';
import type { CriterionOptions } from './options.js';
import { requireCalibration } from './options.js';

/** A trainable f32 copy of a small (1-D) stored weight: norms, biases, q/k norms. */
function trainable(w: WeightTensor): Tensor {
  return new Tensor(w.shape, Float32Array.from(freshF32(w)), true);
}

/**
 * Σ |W ⊙ G| in float64 (summing over the input dimension then the output one is the same sum): f32,
 * bf16 and f16 weights read as stored by the native sum; quantized ones expanded first.
 */
function salience(w: Weight, g: FloatArray | null): number {
  if (!g) return 0;
  if (g instanceof Float32Array) {
    if (isTensor(w) && w.data instanceof Float32Array) return nativeSalience(w.data, 'f32', g);
    if (!isTensor(w)) {
      if (w.dtype === 'f32' || w.dtype === 'bf16' || w.dtype === 'f16')
        return nativeSalience(w.data as Float32Array | Uint16Array, w.dtype, g);
      return nativeSalience(expandedF32(w), 'f32', g);
    }
  }
  const values = isTensor(w) ? w.data : expandedF32(w);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i] * g[i]);
  return s;
}

export function taylorScores(
  weights: ModelWeights,
  calib: CalibrationSet | null,
  opts: CriterionOptions,
): UnitScores {
  const set = requireCalibration(calib, 'taylor');
  const c = weights.config;
  const L = c.numLayers;
  const src = weightSource(weights);
  const batches = calibrationBatches(weights.config, set, opts.batchSize);
  const states = batches.map((b) => prefixStates(src, b).states);
  const total = L + 1;
  // dLoss/d(state leaving the last block), one per batch; each batch's loss is its own mean.
  let lossSum = 0;
  const dh = batches.map((b, k) => {
    const last = states[k].pop()!;
    const x = new Tensor(last.shape, last.data, true);
    const tape = new Tape();
    const r = tape.run(() => runHead(src, x, b.targets));
    lossSum += r.loss.data[0];
    tape.backward(r.loss);
    return x.grad!;
  });
  opts.onProgress?.(1, total);
  const perWeight = new Map<string, number>();
  // One gradient buffer per matrix role (every block's q_proj has the same shape), zeroed per block.
  const gradBuffers = new Map<string, Float32Array>();
  const gradFor = (name: string, shape: readonly number[]): Float32Array => {
    const role = name.replace(/^model\.layers\.\d+\./, '');
    let g = gradBuffers.get(role);
    if (!g || g.length !== shape[0] * shape[1]) {
      g = new Float32Array(shape[0] * shape[1]);
      gradBuffers.set(role, g);
    } else g.fill(0);
    return g;
  };
  for (let l = L - 1; l >= 0; l--) {
    const small = new Map<string, Weight>();
    const matrices = new Map<string, { w: WeightTensor; grad: Float32Array }>();
    for (const name of unitWeightNames(c, l, 'block')) {
      const w = weights.tensors.get(name);
      if (!w) continue;
      if (w.shape.length === 2) matrices.set(name, { w, grad: gradFor(name, w.shape) });
      else small.set(name, trainable(w));
    }
    const blockSrc = weightSource(weights, small);
    const project: Projection = (x, name, bias) => {
      const m = matrices.get(name);
      return linear(x, m ? m.w : weights.tensors.get(name)!, bias, m?.grad ?? null);
    };
    batches.forEach((b, k) => {
      const input = states[k].pop()!;
      const x = new Tensor(input.shape, input.data, true);
      const tape = new Tape();
      const y = tape.run(() => runBlock(blockSrc, l, x, b.shape, { project }));
      if (y === x) {
        // Both sublayers pruned: the block is the identity and passes the gradient through.
        return;
      }
      // Nothing the block computed is read again: its activations go back to the pool for the next.
      tape.backward(y, dh[k], { releaseActivations: true });
      dh[k] = x.grad!;
    });
    for (const [name, t] of small) perWeight.set(name, salience(t, (t as Tensor).grad));
    for (const [name, m] of matrices) perWeight.set(name, salience(m.w, m.grad));
    opts.onProgress?.(L - l + 1, total);
  }
  const only = opts.only ?? presentUnits(c, opts.unit);
  const scores = only.map((l) =>
    unitWeightNames(weights.config, l, opts.unit).reduce((s, n) => s + (perWeight.get(n) ?? 0), 0),
  );
  return unitScores('taylor', opts.unit, [...only], scores, { loss: lossSum / batches.length });
}
