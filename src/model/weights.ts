// How a model's weights are held in memory: named tensors in their stored dtype, usually
// views into an mmapped file, never copied into the JS heap unless a conversion needs it.
import type { LlamaConfig } from './config.js';

export type DType = 'f32' | 'bf16' | 'f16';

export interface WeightTensor {
  dtype: DType;
  /** Row-major shape; a Linear weight is [out, in]. */
  shape: number[];
  /** f32 data, or the raw 16-bit patterns of bf16 / f16. Length = product of shape. */
  data: Float32Array | Uint16Array;
}

/**
 * A loaded model. Weight names follow Hugging Face's LLaMA naming:
 *   model.embed_tokens.weight, model.norm.weight, lm_head.weight (absent when tied),
 *   model.layers.{i}.input_layernorm.weight, model.layers.{i}.post_attention_layernorm.weight,
 *   model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (+ .bias for q/k/v when attentionBias),
 *   model.layers.{i}.mlp.{gate,up,down}_proj.weight
 * q_proj and k_proj rows are in Hugging Face's half-split rotary layout (the internal layout):
 * loaders of interleaved formats (llama2.c, GGUF) permute them at load, writers permute back.
 */
export interface ModelWeights {
  config: LlamaConfig;
  tensors: Map<string, WeightTensor>;
}

export function layerPrefix(i: number): string {
  return `model.layers.${i}.`;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Returns a tensor or throws a message naming the model source and the missing weight. */
export function requireTensor(w: ModelWeights, name: string, source: string): WeightTensor {
  const t = w.tensors.get(name);
  if (!t) throw new Error(`${source}: missing weight '${name}'`);
  return t;
}
