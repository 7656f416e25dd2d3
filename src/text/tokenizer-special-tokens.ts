// Which special tokens a Hugging Face tokenizer has and whether its own encoding adds them, decided
// as transformers decides: tokenizer_config.json first (then special_tokens_map.json), and where
// they are silent, the TemplateProcessing post-processor of tokenizer.json (what a fast tokenizer
// runs with add_special_tokens=True), and LlamaTokenizer's own default (add_bos_token=True).

import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { isRecord, tokenContent } from './json-values.js';
import { TokenizerFormatError } from './tokenizer-errors.js';

/** What the tokenizer needs beyond tokenizer.json: special ids, what its own encoding adds, its chat template. */
export interface TokenizerSettings {
  /** null: no beginning-of-sequence token (Qwen's tokenizer_config.json says bos_token: null). */
  bosId: number | null;
  eosId: number;
  padId: number | null;
  addBosToken: boolean;
  addEosToken: boolean;
  chatTemplate: string | null;
}

/** The files beside tokenizer.json that say what it cannot: each parsed, or {} / null when absent. */
export interface TokenizerSideFiles {
  config: Record<string, unknown>;
  specialTokensMap: Record<string, unknown>;
  /** chat_template.jinja, or chat_template.json's chat_template. */
  chatTemplateFile: string | null;
}

/** Classes whose constructor defaults add_bos_token to true and rebuild the post-processor from it. */
const ADDS_BOS_BY_DEFAULT = new Set([
  'LlamaTokenizer',
  'LlamaTokenizerFast',
  'CodeLlamaTokenizer',
  'CodeLlamaTokenizerFast',
  'GemmaTokenizer',
  'GemmaTokenizerFast',
]);

/** The special tokens TemplateProcessing puts before and after a single sequence (names, not ids). */
function templateEnds(postProcessor: unknown): { first: string | null; last: string | null } {
  if (!isRecord(postProcessor)) return { first: null, last: null };
  if (postProcessor.type === 'Sequence' && Array.isArray(postProcessor.processors)) {
    for (const p of postProcessor.processors) {
      const ends = templateEnds(p);
      if (ends.first !== null || ends.last !== null) return ends;
    }
    return { first: null, last: null };
  }
  if (postProcessor.type !== 'TemplateProcessing' || !Array.isArray(postProcessor.single))
    return { first: null, last: null };
  const single: unknown[] = postProcessor.single;
  const special = (item: unknown): string | null =>
    isRecord(item) && isRecord(item.SpecialToken) && typeof item.SpecialToken.id === 'string'
      ? item.SpecialToken.id
      : null;
  return { first: special(single[0]), last: single.length > 1 ? special(single[single.length - 1]) : null };
}

function tokenId(hf: HfTokenizer, content: string, field: string, source: string): number {
  const id = hf.token_to_id(content);
  if (id === undefined)
    throw new TokenizerFormatError(
      source,
      field,
      `expected a token in the vocabulary, got ${JSON.stringify(content)}`,
    );
  return id;
}

/**
 * A special token's id. A field present in tokenizer_config.json (else special_tokens_map.json)
 * decides, null included; an absent one falls back to `fallbacks`, the first in the vocabulary.
 */
function specialId(
  hf: HfTokenizer,
  side: TokenizerSideFiles,
  field: string,
  fallbacks: (string | null)[],
  source: string,
): number | null {
  for (const [file, values] of [
    ['tokenizer_config.json', side.config],
    ['special_tokens_map.json', side.specialTokensMap],
  ] as const) {
    if (!Object.hasOwn(values, field)) continue;
    const content = tokenContent(values[field]);
    return content === null ? null : tokenId(hf, content, `${file} ${field}`, source);
  }
  for (const candidate of fallbacks) {
    const id = candidate === null ? undefined : hf.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  return null;
}

function chatTemplateOf(side: TokenizerSideFiles): string | null {
  const template = side.config.chat_template;
  if (typeof template === 'string') return template;
  // A list of named templates: the one named "default" is what tokenizer.chat_template holds in GGUF.
  if (Array.isArray(template)) {
    const named = template.find((t) => isRecord(t) && t.name === 'default');
    if (isRecord(named) && typeof named.template === 'string') return named.template;
  }
  return side.chatTemplateFile;
}

/** The settings of a tokenizer.json given its side files (`source` names the file in errors). */
export function resolveTokenizerSettings(
  hf: HfTokenizer,
  json: Record<string, unknown>,
  side: TokenizerSideFiles,
  source: string,
): TokenizerSettings {
  const ends = templateEnds(json.post_processor);
  const bosId = specialId(
    hf,
    side,
    'bos_token',
    [ends.first, '<s>', '<|begin_of_text|>', '<|endoftext|>'],
    source,
  );
  const eosId = specialId(
    hf,
    side,
    'eos_token',
    [ends.last, '</s>', '<|end_of_text|>', '<|endoftext|>', '<|im_end|>'],
    source,
  );
  const padId = specialId(hf, side, 'pad_token', [], source);
  if (eosId === null)
    throw new TokenizerFormatError(
      source,
      'eos_token',
      'expected tokenizer_config.json eos_token or a </s>, <|end_of_text|> or <|endoftext|> token',
    );
  const endId = (name: string | null): number | null =>
    name === null ? null : (hf.token_to_id(name) ?? null);
  const tokenizerClass = typeof side.config.tokenizer_class === 'string' ? side.config.tokenizer_class : '';
  const addBos =
    typeof side.config.add_bos_token === 'boolean'
      ? side.config.add_bos_token
      : ADDS_BOS_BY_DEFAULT.has(tokenizerClass) || (bosId !== null && endId(ends.first) === bosId);
  const addEos =
    typeof side.config.add_eos_token === 'boolean'
      ? side.config.add_eos_token
      : endId(ends.last) === eosId && ends.last !== null;
  return {
    bosId,
    eosId,
    padId,
    // transformers turns add_bos_token off, silently, when there is no BOS token to add.
    addBosToken: addBos && bosId !== null,
    addEosToken: addEos,
    chatTemplate: chatTemplateOf(side),
  };
}
