// Reads GGUF's 'gpt2' tokenizer model (byte-level BPE) into a byte-level tokenizer.json in the form
// of the family tokenizer.ggml.pre names (Llama 3, Qwen2, SmolLM, GPT-2, llama.cpp's default), with
// the special tokens, add_bos_token defaults and token types as llama.cpp's llama-vocab.cpp reads them.

import { canonicalPreName, preTokenizerForm, SUPPORTED_PRE_NAMES } from './byte-level-pre.js';
import {
  arrayValue,
  booleanValue,
  chatTemplateValue,
  lookup,
  numberArray,
  stringArray,
  tokenIdValue,
  type GgufMetadata,
} from './gguf-tokenizer-values.js';
import { SentencePieceTokenType as TokenType } from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import { HuggingFaceTokenizer, buildHfTokenizer } from './tokenizer-hf.js';
import type { TokenizerSettings } from './tokenizer-special-tokens.js';

/** A TemplateProcessing post-processor that puts `bos` before and `eos` after a sequence. */
function templateProcessing(
  bos: [string, number] | null,
  eos: [string, number] | null,
): Record<string, unknown> {
  const around = (id: string, typeId: number): unknown[] => [
    ...(bos ? [{ SpecialToken: { id: bos[0], type_id: typeId } }] : []),
    { Sequence: { id, type_id: typeId } },
    ...(eos ? [{ SpecialToken: { id: eos[0], type_id: typeId } }] : []),
  ];
  const specialTokens: Record<string, unknown> = {};
  for (const t of [bos, eos]) if (t) specialTokens[t[0]] = { id: t[0], ids: [t[1]], tokens: [t[0]] };
  return {
    type: 'TemplateProcessing',
    single: around('A', 0),
    pair: [...around('A', 0), ...around('B', 1)],
    special_tokens: specialTokens,
  };
}

const BYTE_LEVEL_POST = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };

function preName(metadata: GgufMetadata, source: string): string {
  const raw = lookup(metadata, 'tokenizer.ggml.pre');
  if (raw !== undefined && typeof raw !== 'string')
    throw new TokenizerFormatError(source, 'tokenizer.ggml.pre', 'expected a string');
  // llama.cpp reads a file without the key with its 'default' pre-tokenizer (and warns).
  const name = canonicalPreName(raw ?? 'default');
  if (name === null)
    throw new TokenizerFormatError(
      source,
      'tokenizer.ggml.pre',
      `expected one of ${SUPPORTED_PRE_NAMES.join(', ')} (or llama3, llama-v3), got ${JSON.stringify(raw)}`,
    );
  return name;
}

/** Merges as llama-vocab.cpp splits them: at the first space after the first character. */
function mergesOf(metadata: GgufMetadata, source: string): [string, string][] {
  const key = 'tokenizer.ggml.merges';
  return stringArray(metadata, key, source).map((merge, i): [string, string] => {
    const cut = merge.indexOf(' ', 1);
    if (cut < 0)
      throw new TokenizerFormatError(
        source,
        `${key}[${i}]`,
        `expected "left right", got ${JSON.stringify(merge).slice(0, 80)}`,
      );
    return [merge.slice(0, cut), merge.slice(cut + 1)];
  });
}

function specialIds(
  metadata: GgufMetadata,
  n: number,
  source: string,
): Record<'bos' | 'eos' | 'pad', number | null> {
  const ids = { bos: null, eos: null, pad: null } as Record<'bos' | 'eos' | 'pad', number | null>;
  for (const [name, key] of [
    ['bos', 'tokenizer.ggml.bos_token_id'],
    ['eos', 'tokenizer.ggml.eos_token_id'],
    ['pad', 'tokenizer.ggml.padding_token_id'],
  ] as const) {
    const id = tokenIdValue(metadata, key, source);
    if (id !== null && (id < 0 || id >= n))
      throw new TokenizerFormatError(source, key, `expected a token id in 0..${n - 1}, got ${id}`);
    ids[name] = id;
  }
  return ids;
}

export function byteLevelTokenizerFromGguf(metadata: GgufMetadata, source: string): HuggingFaceTokenizer {
  const tokens = stringArray(metadata, 'tokenizer.ggml.tokens', source);
  const n = tokens.length;
  const typesKey = 'tokenizer.ggml.token_type';
  const rawTypes = arrayValue(lookup(metadata, typesKey), typesKey, source);
  const types =
    rawTypes === null ? tokens.map(() => TokenType.normal) : numberArray(rawTypes, typesKey, source);
  if (types.length !== n)
    throw new TokenizerFormatError(
      source,
      typesKey,
      `expected ${n} types (one per token), got ${types.length}`,
    );
  const form = preTokenizerForm(preName(metadata, source));
  const ids = specialIds(metadata, n, source);
  const eosId = ids.eos;
  if (eosId === null)
    throw new TokenizerFormatError(
      source,
      'tokenizer.ggml.eos_token_id',
      'expected the EOS token id, it is missing',
    );
  const addBos =
    booleanValue(metadata, 'tokenizer.ggml.add_bos_token', form.addBosDefault, source) && ids.bos !== null;
  const addEos = booleanValue(metadata, 'tokenizer.ggml.add_eos_token', false, source);

  // No prototype: a token may be spelled "__proto__".
  const vocab = Object.create(null) as Record<string, number>;
  const added: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  tokens.forEach((token, id) => {
    if (seen.has(token))
      throw new TokenizerFormatError(
        source,
        `tokenizer.ggml.tokens[${id}]`,
        `expected unique tokens, ${JSON.stringify(token).slice(0, 80)} appears twice`,
      );
    seen.add(token);
    // Control and user-defined tokens are tokenizer.json's added tokens (Llama 3's <|eot_id|>).
    if (types[id] === TokenType.control || types[id] === TokenType.userDefined) {
      const special = types[id] === TokenType.control;
      added.push({
        id,
        content: token,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: !special,
        special,
      });
    } else vocab[token] = id;
  });
  const withId = (id: number | null): [string, number] | null => (id === null ? null : [tokens[id], id]);
  const json: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: form.normalizer,
    pre_tokenizer: form.preTokenizer,
    post_processor:
      addBos || addEos
        ? {
            type: 'Sequence',
            processors: [
              BYTE_LEVEL_POST,
              templateProcessing(addBos ? withId(ids.bos) : null, addEos ? withId(eosId) : null),
            ],
          }
        : BYTE_LEVEL_POST,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: form.ignoreMerges,
      vocab,
      merges: mergesOf(metadata, source),
    },
  };
  const config = { clean_up_tokenization_spaces: form.cleanUpSpaces };
  const settings: TokenizerSettings = {
    bosId: ids.bos,
    eosId,
    padId: ids.pad,
    addBosToken: addBos,
    addEosToken: addEos,
    chatTemplate: chatTemplateValue(metadata, source),
  };
  return new HuggingFaceTokenizer(json, buildHfTokenizer(json, config, source), config, settings, {
    source,
    folder: null,
    vocab: null,
  });
}
