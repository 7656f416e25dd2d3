// Small random-weight models in the config.json forms of today's checkpoints (Llama 3.x with llama3
// rope scaling and tied embeddings, Qwen2.5 with YaRN and q/k/v biases, Qwen3 with q/k norms and its
// own head_dim, linear and dynamic scaling), written as HF folders exactly as those families ship
// config.json, so tests need no downloaded checkpoint.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromHfJson } from '../../src/formats/hf-config.js';
import { writeHfFolder } from '../../src/formats/hf-folder.js';
import type { ModelWeights, WeightTensor } from '../../src/model/weights.js';
import { layerPrefix } from '../../src/model/weights.js';
import { f32ToBf16 } from '../../src/native/index.js';
import { mulberry32 } from './random.js';

export type ModelForm = 'llama3' | 'qwen2-yarn' | 'qwen3' | 'llama-linear' | 'llama-dynamic' | 'smollm';
export const MODEL_FORMS: readonly ModelForm[] = [
  'llama3',
  'qwen2-yarn',
  'qwen3',
  'llama-linear',
  'llama-dynamic',
  'smollm',
];

const COMMON = {
  vocab_size: 61,
  hidden_size: 32,
  intermediate_size: 40,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_act: 'silu',
  rms_norm_eps: 1e-6,
  bos_token_id: 1,
  eos_token_id: 2,
};

/** config.json as each family writes it (key spellings included). */
export function formConfigJson(form: ModelForm): Record<string, unknown> {
  switch (form) {
    case 'llama3':
      return {
        ...COMMON,
        architectures: ['LlamaForCausalLM'],
        model_type: 'llama',
        rope_theta: 500000,
        max_position_embeddings: 128,
        tie_word_embeddings: true,
        attention_bias: false,
        mlp_bias: false,
        // Llama 3.2's parameters, with a context short enough that the blend band holds frequencies.
        rope_scaling: {
          factor: 32.0,
          high_freq_factor: 4.0,
          low_freq_factor: 1.0,
          original_max_position_embeddings: 16,
          rope_type: 'llama3',
        },
        eos_token_id: [2, 3],
        torch_dtype: 'bfloat16',
      };
    case 'qwen2-yarn':
      return {
        ...COMMON,
        architectures: ['Qwen2ForCausalLM'],
        model_type: 'qwen2',
        rope_theta: 10000,
        max_position_embeddings: 32,
        tie_word_embeddings: false,
        use_sliding_window: false,
        sliding_window: 32,
        // Qwen2.5's documented YaRN block, spelled with `type`.
        rope_scaling: { factor: 4.0, original_max_position_embeddings: 8, type: 'yarn' },
      };
    case 'qwen3':
      return {
        ...COMMON,
        architectures: ['Qwen3ForCausalLM'],
        model_type: 'qwen3',
        head_dim: 12,
        rope_theta: 1000000,
        max_position_embeddings: 64,
        tie_word_embeddings: true,
        attention_bias: false,
        use_sliding_window: false,
        rope_scaling: null,
      };
    case 'llama-linear':
      return {
        ...COMMON,
        architectures: ['LlamaForCausalLM'],
        rope_theta: 10000,
        max_position_embeddings: 64,
        rope_scaling: { type: 'linear', factor: 2.5 },
      };
    case 'llama-dynamic':
      return {
        ...COMMON,
        architectures: ['LlamaForCausalLM'],
        rope_theta: 10000,
        max_position_embeddings: 6,
        rope_scaling: { rope_type: 'dynamic', factor: 3 },
      };
    case 'smollm':
      return {
        ...COMMON,
        architectures: ['LlamaForCausalLM'],
        rope_theta: 10000,
        max_position_embeddings: 64,
        tie_word_embeddings: true,
        rope_scaling: null,
      };
  }
}

/** Random weights (normal-ish, norms near 1) for a form, f32 or bf16 as checkpoints store them; `overrides` edit config.json. */
export function formWeights(
  form: ModelForm,
  seed: number,
  dtype: 'f32' | 'bf16' = 'f32',
  overrides: Record<string, unknown> = {},
): ModelWeights {
  const config = configFromHfJson({ ...formConfigJson(form), ...overrides }, `${form}/config.json`);
  const rand = mulberry32(seed);
  const tensors = new Map<string, WeightTensor>();
  const put = (name: string, shape: number[], scale: number, offset = 0): void => {
    const f = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < f.length; i++) f[i] = offset + (rand() * 2 - 1) * scale;
    const matrix = shape.length === 2 && dtype === 'bf16';
    tensors.set(
      name,
      matrix ? { dtype: 'bf16', shape, data: f32ToBf16(f) } : { dtype: 'f32', shape, data: f },
    );
  };
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, numHeads: H, numKvHeads: K, headDim: D } = config;
  put('model.embed_tokens.weight', [V, C], 1);
  put('model.norm.weight', [C], 0.2, 1);
  if (!config.tieWordEmbeddings) put('lm_head.weight', [V, C], 0.3);
  for (let i = 0; i < config.numLayers; i++) {
    const p = layerPrefix(i);
    put(`${p}input_layernorm.weight`, [C], 0.2, 1);
    put(`${p}self_attn.q_proj.weight`, [H * D, C], 0.4);
    put(`${p}self_attn.k_proj.weight`, [K * D, C], 0.4);
    put(`${p}self_attn.v_proj.weight`, [K * D, C], 0.4);
    put(`${p}self_attn.o_proj.weight`, [C, H * D], 0.4);
    if (config.attentionBias) {
      put(`${p}self_attn.q_proj.bias`, [H * D], 0.3);
      put(`${p}self_attn.k_proj.bias`, [K * D], 0.3);
      put(`${p}self_attn.v_proj.bias`, [K * D], 0.3);
    }
    if (config.qkNorm) {
      put(`${p}self_attn.q_norm.weight`, [D], 0.3, 1);
      put(`${p}self_attn.k_norm.weight`, [D], 0.3, 1);
    }
    put(`${p}post_attention_layernorm.weight`, [C], 0.2, 1);
    put(`${p}mlp.gate_proj.weight`, [F, C], 0.4);
    put(`${p}mlp.up_proj.weight`, [F, C], 0.4);
    put(`${p}mlp.down_proj.weight`, [C, F], 0.4);
  }
  return { config, tensors };
}

/** Writes the form as an HF folder whose config.json is the family's own text, not ours. */
export function writeFormFolder(
  dir: string,
  form: ModelForm,
  seed: number,
  dtype: 'f32' | 'bf16' = 'f32',
): ModelWeights {
  const weights = formWeights(form, seed, dtype);
  writeHfFolder(dir, weights);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(formConfigJson(form), null, 2));
  return weights;
}
