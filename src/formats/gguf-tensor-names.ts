// GGUF (llama.cpp) tensor names of LLaMA-family models and their Hugging Face counterparts, the
// names our model uses.

const GLOBAL: [string, string][] = [
  ['token_embd.weight', 'model.embed_tokens.weight'],
  ['output_norm.weight', 'model.norm.weight'],
  ['output.weight', 'lm_head.weight'],
];

const PER_BLOCK: [string, string][] = [
  ['attn_norm.weight', 'input_layernorm.weight'],
  ['attn_q.weight', 'self_attn.q_proj.weight'],
  ['attn_k.weight', 'self_attn.k_proj.weight'],
  ['attn_v.weight', 'self_attn.v_proj.weight'],
  ['attn_q.bias', 'self_attn.q_proj.bias'],
  ['attn_k.bias', 'self_attn.k_proj.bias'],
  ['attn_v.bias', 'self_attn.v_proj.bias'],
  ['attn_q_norm.weight', 'self_attn.q_norm.weight'],
  ['attn_k_norm.weight', 'self_attn.k_norm.weight'],
  ['attn_output.weight', 'self_attn.o_proj.weight'],
  ['ffn_norm.weight', 'post_attention_layernorm.weight'],
  ['ffn_gate.weight', 'mlp.gate_proj.weight'],
  ['ffn_up.weight', 'mlp.up_proj.weight'],
  ['ffn_down.weight', 'mlp.down_proj.weight'],
];

const GGUF_TO_HF_GLOBAL = new Map(GLOBAL);
const HF_TO_GGUF_GLOBAL = new Map(GLOBAL.map(([g, h]) => [h, g]));
const GGUF_TO_HF_BLOCK = new Map(PER_BLOCK);
const HF_TO_GGUF_BLOCK = new Map(PER_BLOCK.map(([g, h]) => [h, g]));

/** The HF name for a GGUF tensor name, or undefined when it is not a LLaMA tensor we know. */
export function ggufToHfName(name: string): string | undefined {
  const global = GGUF_TO_HF_GLOBAL.get(name);
  if (global) return global;
  const m = /^blk\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const rest = GGUF_TO_HF_BLOCK.get(m[2]);
  return rest ? `model.layers.${Number(m[1])}.${rest}` : undefined;
}

export function hfToGgufName(name: string): string | undefined {
  const global = HF_TO_GGUF_GLOBAL.get(name);
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const rest = HF_TO_GGUF_BLOCK.get(m[2]);
  return rest ? `blk.${Number(m[1])}.${rest}` : undefined;
}
