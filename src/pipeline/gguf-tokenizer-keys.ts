// Moves tokenizer keys between the GGUF reader/writer's typed values and the tokenizer layer's
// plain values: `tokenizer.ggml.*` keys only, with the types llama.cpp writes them in.
import type { GgufMetadata, GgufValue } from '../formats/gguf-metadata.js';

/** The `tokenizer.ggml.*` keys of a GGUF header as plain values (arrays as JS arrays). */
export function plainTokenizerKeys(md: GgufMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of md) {
    if (!key.startsWith('tokenizer.')) continue;
    out[key] = v.value;
  }
  return out;
}

const ARRAY_ITEM_TYPES: Record<string, 'string' | 'f32' | 'i32'> = {
  'tokenizer.ggml.tokens': 'string',
  'tokenizer.ggml.scores': 'f32',
  'tokenizer.ggml.token_type': 'i32',
  'tokenizer.ggml.merges': 'string',
};

/** Plain tokenizer keys back to typed GGUF values, as llama.cpp's writer types them. */
export function typedTokenizerKeys(plain: Record<string, unknown>): GgufMetadata {
  const md: GgufMetadata = new Map();
  for (const [key, value] of Object.entries(plain)) {
    let typed: GgufValue;
    if (Array.isArray(value)) {
      const itemType = ARRAY_ITEM_TYPES[key] ?? (typeof value[0] === 'string' ? 'string' : 'f32');
      typed = { type: 'array', itemType, value: value as (string | number)[] };
    } else if (typeof value === 'boolean') typed = { type: 'bool', value };
    else if (typeof value === 'string') typed = { type: 'string', value };
    else if (typeof value === 'number') typed = { type: Number.isInteger(value) ? 'u32' : 'f32', value };
    else continue;
    md.set(key, typed);
  }
  return md;
}

/**
 * The keys with the token list padded to the model's vocabulary (Qwen2.5's embedding has 151936
 * rows for 151665 tokens): llama.cpp sizes the embedding by the token count, and
 * convert_hf_to_gguf.py fills the gap with unused [PAD<id>] tokens (score -1000 where scores exist).
 */
export function paddedTokenizerKeys(
  plain: Record<string, unknown>,
  vocabSize: number,
): Record<string, unknown> {
  const tokens = plain['tokenizer.ggml.tokens'];
  if (!Array.isArray(tokens) || tokens.length >= vocabSize) return plain;
  const ids = Array.from({ length: vocabSize - tokens.length }, (_, i) => tokens.length + i);
  const padded: Record<string, unknown> = {
    ...plain,
    'tokenizer.ggml.tokens': [...tokens, ...ids.map((id) => `[PAD${id}]`)],
  };
  const types = plain['tokenizer.ggml.token_type'];
  if (Array.isArray(types)) padded['tokenizer.ggml.token_type'] = [...types, ...ids.map(() => 5)];
  const scores = plain['tokenizer.ggml.scores'];
  if (Array.isArray(scores)) padded['tokenizer.ggml.scores'] = [...scores, ...ids.map(() => -1000)];
  return padded;
}
