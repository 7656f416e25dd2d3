// How a model's weights are held in memory: named tensors in their stored dtype, usually
// views into an mmapped file, never copied into the JS heap unless a conversion needs it. GGML
// block-quantized tensors (Q4_K, Q8_0, ...) stay quantized; their values are expanded only when a
// computation needs them (tensor/weight-values.ts).
import type { GgmlQuantType } from '../formats/ggml-types.js';
import type { LlamaConfig } from './config.js';

export type FloatDType = 'f32' | 'bf16' | 'f16';
export type DType = FloatDType | GgmlQuantType;

export interface WeightTensor {
  dtype: DType;
  /** Row-major shape; a Linear weight is [out, in]. */
  shape: number[];
  /**
   * f32 data, the raw 16-bit patterns of bf16 / f16 (length = product of shape), or the GGML blocks
   * of a quantized type (each row whole blocks; byte length from ggml-types.ts).
   */
  data: Float32Array | Uint16Array | Uint8Array;
}

/** A float tensor (f32, bf16, f16), as opposed to GGML block-quantized bytes. */
export type FloatWeightTensor = WeightTensor & { dtype: FloatDType; data: Float32Array | Uint16Array };

export function isQuantized(t: WeightTensor): t is WeightTensor & { dtype: GgmlQuantType; data: Uint8Array } {
  return t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16';
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
