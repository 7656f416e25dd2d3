// Attaching LoRA adapters to a LLaMA model: which Linears (PEFT's target_modules names), their
// initialization as PEFT does it, the trainable tensors by PEFT key name, and folding them back
// into the weights (merge).
import type { LlamaConfig } from '../model/config.js';
import type { LoraAdapter } from '../model/lora-linear.js';
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { layerPrefix } from '../model/weights.js';
import { Tensor } from '../tensor/tensor.js';
import { weightValues } from '../tensor/weight-values.js';
import { peftKey } from '../formats/peft-adapter.js';
import type { TrainingRng } from './rng.js';

/** PEFT's module names for LLaMA's Linears and where they sit in a block. */
export const LORA_MODULE_PATHS: Record<string, string> = {
  q_proj: 'self_attn.q_proj',
  k_proj: 'self_attn.k_proj',
  v_proj: 'self_attn.v_proj',
  o_proj: 'self_attn.o_proj',
  gate_proj: 'mlp.gate_proj',
  up_proj: 'mlp.up_proj',
  down_proj: 'mlp.down_proj',
};

/** The paper's LoRA setting (LLM-Pruner's, from alpaca-lora): every Linear of every block. */
export const PAPER_TARGET_MODULES = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

/**
 * The HF weight names LoRA wraps: each target module of each block that still has that
 * sublayer (a pruned attention or MLP has no Linears to wrap).
 */
export function loraTargets(config: LlamaConfig, targetModules: string[]): string[] {
  for (const m of targetModules)
    if (!(m in LORA_MODULE_PATHS))
      throw new RangeError(`target module '${m}' is not one of ${Object.keys(LORA_MODULE_PATHS).join(', ')}`);
  const out: string[] = [];
  const prunedAttention = new Set(config.prunedAttention);
  const prunedMlp = new Set(config.prunedMlp);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const m of targetModules) {
      const path = LORA_MODULE_PATHS[m];
      if (path.startsWith('self_attn') ? prunedAttention.has(layer) : prunedMlp.has(layer)) continue;
      out.push(`${layerPrefix(layer)}${path}.weight`);
    }
  }
  return out;
}

/**
 * New adapters for `targets`: A Kaiming-uniform with a = √5 as PEFT's reset_lora_parameters
 * (nn.init.kaiming_uniform_, i.e. U(-1/√in, 1/√in)), B zero, so the model starts unchanged.
 */
export function createLoraAdapters(
  weights: ModelWeights,
  targets: string[],
  s: LoraSettings,
  rng: TrainingRng,
): Map<string, LoraAdapter> {
  const adapters = new Map<string, LoraAdapter>();
  for (const name of targets) {
    const w = weights.tensors.get(name);
    if (!w || w.shape.length !== 2) throw new Error(`LoRA: no 2-D weight '${name}' in the model`);
    const [out, inp] = w.shape;
    const bound = 1 / Math.sqrt(inp);
    const a = Tensor.zeros([s.r, inp], 'f32', true);
    for (let i = 0; i < a.size; i++) a.data[i] = (rng.next() * 2 - 1) * bound;
    const b = Tensor.zeros([out, s.r], 'f32', true);
    adapters.set(name, { a, b, scale: s.alpha / s.r, dropout: s.dropout });
  }
  return adapters;
}

/** The adapters' trainable tensors by PEFT key. */
export function loraParameters(adapters: Map<string, LoraAdapter>): Map<string, Tensor> {
  const params = new Map<string, Tensor>();
  for (const [name, ad] of adapters) {
    params.set(peftKey(name, 'A'), ad.a);
    params.set(peftKey(name, 'B'), ad.b);
  }
  return params;
}

/** W + (alpha/r)·B·A for every adapter, as f32; other weights are kept as they are. */
export function mergeLora(weights: ModelWeights, adapters: Map<string, LoraAdapter>): ModelWeights {
  const tensors = new Map(weights.tensors);
  for (const [name, ad] of adapters) {
    const w = weights.tensors.get(name);
    if (!w) throw new Error(`merge: the adapter wraps '${name}', which the model does not have`);
    const [out, inp] = w.shape;
    const r = ad.a.shape[0];
    if (ad.a.shape[1] !== inp || ad.b.shape[0] !== out || ad.b.shape[1] !== r)
      throw new Error(
        `merge: adapter for '${name}' has A [${ad.a.shape}] and B [${ad.b.shape}], expected A [r, ${inp}] and B [${out}, r]`,
      );
    const merged = Float32Array.from(weightValues(w, 'f32'));
    const A = ad.a.data;
    const B = ad.b.data;
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < r; k++) {
        const f = ad.scale * B[o * r + k];
        if (f === 0) continue;
        for (let i = 0; i < inp; i++) merged[o * inp + i] += f * A[k * inp + i];
      }
    }
    const t: WeightTensor = { dtype: 'f32', shape: [out, inp], data: merged };
    tensors.set(name, t);
  }
  return { config: weights.config, tensors };
}
