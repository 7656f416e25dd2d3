// The models the benchmarks against PyTorch build: the synthetic shapes they run at, the same shape
// as PyTorch's side reads it, a fully trainable model over the stored weights, and, read off the
// built model rather than written by hand, which dtype each part of our side runs in.
import { amxActive } from '../native/index.js';
import type { LlamaConfig } from '../model/config.js';
import type { LlamaModel } from '../model/llama-forward.js';
import { buildModel } from '../model/llama-forward.js';
import type { FloatDType, ModelWeights } from '../model/weights.js';
import { Tensor, isTensor } from '../tensor/tensor.js';
import type { Weight } from '../tensor/tensor.js';
import { STORIES260K_SHAPE, SYNTHETIC_2048 } from './synthetic-model.js';

/** The dtypes a benchmark's weights can be stored in. */
export type BenchDtype = Extract<FloatDType, 'f32' | 'bf16'>;
export const BENCH_DTYPES: readonly BenchDtype[] = ['f32', 'bf16'];

/** The benchmark shapes by name: the 2048-wide anchor, and a tiny one for checking a command quickly. */
export const BENCH_SHAPES: Record<string, Partial<LlamaConfig>> = {
  'synthetic-2048': SYNTHETIC_2048,
  stories260k: STORIES260K_SHAPE,
};

/** A named benchmark shape with `layers` blocks (the shape's own count when undefined). */
export function benchShape(name: string, layers?: number): Partial<LlamaConfig> {
  const shape = BENCH_SHAPES[name];
  if (!shape) throw new RangeError(`unknown shape '${name}' (${Object.keys(BENCH_SHAPES).join(', ')})`);
  return layers === undefined ? { ...shape } : { ...shape, numLayers: layers };
}

/** The shape as bench/torch_llama.py reads it. */
export function torchShape(c: LlamaConfig): Record<string, number | boolean> {
  return {
    hidden: c.hiddenSize,
    layers: c.numLayers,
    heads: c.numHeads,
    kv_heads: c.numKvHeads,
    mlp: c.intermediateSize,
    vocab: c.vocabSize,
    tie: c.tieWordEmbeddings,
  };
}

/** The shape as every benchmark's JSON reports it. */
export function shapeSummary(c: LlamaConfig): Record<string, number | boolean> {
  return { ...torchShape(c), head_dim: c.headDim };
}

/** Token ids that cover the vocabulary without a generator: (i·7919 + 13) mod vocab. */
export function benchTokens(count: number, vocab: number): Int32Array {
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = (i * 7919 + 13) % vocab;
  return ids;
}

/**
 * Every weight trainable. f32 weights become trainable in place: the benchmark owns its synthetic
 * weights, and buildModel's private copy would hold a second 3.4 GB for the 850M anchor, which
 * PyTorch's side then has no room beside. Other dtypes are widened into f32 copies, as buildModel
 * does when training a bf16 checkpoint.
 */
export function trainableModel(weights: ModelWeights): LlamaModel {
  const widened = new Map([...weights.tensors].filter(([, t]) => t.dtype !== 'f32'));
  // A bf16 checkpoint trains in bf16 as PyTorch's autocast does: f32 masters, bf16 copies for products.
  const compute = widened.size > 0 && [...widened.values()].every((t) => t.dtype === 'bf16') ? 'bf16' : 'f32';
  const model = buildModel({ config: weights.config, tensors: widened }, { trainable: () => true, compute });
  const all = new Map<string, Weight>();
  for (const [name, t] of weights.tensors)
    all.set(
      name,
      t.dtype === 'f32' ? new Tensor(t.shape, t.data as Float32Array, true) : model.weights.get(name)!,
    );
  return { ...model, weights: all };
}

/** How a product with a half-precision weight multiplies: AMX tiles take bf16 on both sides. */
export function halfProducts(dtype: string): string {
  return dtype === 'bf16' && amxActive()
    ? 'bf16 × f32; GEMMs on AMX tiles, activations rounded to bf16; f32 accumulation'
    : `${dtype} × f32, f32 accumulation`;
}

/**
 * What runs in which dtype on our side, in words, read off the weights a model computes with:
 * matrices kept as stored are read by the kernels of their dtype (bf16: bf16 weights × f32
 * activations, f32 accumulation); trainable ones are f32 tensors; activations are f32 throughout.
 */
export function describeOurSide(
  model: LlamaModel | ModelWeights,
  phase: string,
  stored?: ModelWeights,
): string {
  const named: [string, Weight][] = 'tensors' in model ? [...model.tensors] : [...model.weights];
  const counts = new Map<string, number>();
  for (const [name, w] of named) {
    if (w.shape.length !== 2) continue;
    const from = stored?.tensors.get(name)?.dtype;
    const label = isTensor(w)
      ? `f32 ${w.requiresGrad ? 'trainable tensors' : 'tensors'}${from && from !== 'f32' ? ` widened from the stored ${from}` : ''}` +
        (w.bf16
          ? ' with bf16 copies every product reads (forward, dX and dW through the bf16 GEMMs, f32 accumulation; AdamW updates the f32 masters)'
          : '')
      : w.dtype === 'f32'
        ? 'f32 as stored'
        : `${w.dtype} as stored, read in place by the ${w.dtype}-weight GEMM/GEMV kernels (${halfProducts(w.dtype)})`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const parts = [...counts].map(([label, n]) => `${n} matri${n === 1 ? 'x' : 'ces'} ${label}`);
  const lora = 'lora' in model && model.lora?.size ? `; ${model.lora.size} LoRA adapters f32` : '';
  const grads = /backward|step|taylor/i.test(phase) ? ', gradients' : '';
  return `${phase}: ${parts.join(', ')}${lora}; activations${grads} and every other op f32`;
}
