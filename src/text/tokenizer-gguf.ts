// Builds a Tokenizer from a GGUF file's `tokenizer.ggml.*` metadata. Only the 'llama' tokenizer
// model (SentencePiece BPE with byte fallback) is supported; the values are checked, not trusted.

import { SentencePieceTokenType, isBytePiece, type SentencePieceVocab } from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import type { HuggingFaceTokenizer } from './tokenizer-hf.js';
import { tokenizerFromSentencePieceVocab } from './tokenizer-sentencepiece.js';

type GgufMetadata = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

function lookup(metadata: GgufMetadata, key: string): unknown {
  if (metadata instanceof Map) return metadata.get(key);
  const record = metadata as Readonly<Record<string, unknown>>;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** An array or typed array of the metadata value, as a plain array; null when absent. */
function arrayValue(value: unknown, key: string, source: string): unknown[] | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>);
  }
  throw new TokenizerFormatError(source, key, 'expected an array');
}

/** llama.cpp writes -1 (as uint32 0xFFFFFFFF) for "no such token". */
const NO_TOKEN = new Set([-1, 0xffffffff]);

/** A token id metadata value; null when absent or llama.cpp's "no token" marker. */
function tokenIdValue(value: unknown, key: string, source: string): number | null {
  if (value === undefined) return null;
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new TokenizerFormatError(source, key, `expected an integer token id, got ${String(value)}`);
  }
  return NO_TOKEN.has(n) ? null : n;
}

function numberArray(values: unknown[], key: string, source: string): number[] {
  return values.map((v, i) => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new TokenizerFormatError(source, `${key}[${i}]`, `expected a finite number, got ${String(v)}`);
    }
    return n;
  });
}

/** Reads the 'llama' tokenizer out of GGUF metadata (`source` names the file in errors). */
export function sentencePieceVocabFromGguf(metadata: GgufMetadata, source: string): SentencePieceVocab {
  const model = lookup(metadata, 'tokenizer.ggml.model');
  if (model !== 'llama') {
    throw new TokenizerFormatError(
      source,
      'tokenizer.ggml.model',
      `expected 'llama' (SentencePiece BPE), got ${JSON.stringify(model) ?? 'nothing'}`,
    );
  }
  const tokensKey = 'tokenizer.ggml.tokens';
  const tokens = arrayValue(lookup(metadata, tokensKey), tokensKey, source);
  if (tokens === null)
    throw new TokenizerFormatError(source, tokensKey, 'expected an array of strings, it is missing');
  const pieces = tokens.map((t, i) => {
    if (typeof t !== 'string')
      throw new TokenizerFormatError(source, `${tokensKey}[${i}]`, 'expected a string');
    return t;
  });
  const scoresKey = 'tokenizer.ggml.scores';
  const rawScores = arrayValue(lookup(metadata, scoresKey), scoresKey, source);
  if (rawScores === null)
    throw new TokenizerFormatError(source, scoresKey, 'expected an array of float32, it is missing');
  const scores = numberArray(rawScores, scoresKey, source);

  const unkId =
    tokenIdValue(
      lookup(metadata, 'tokenizer.ggml.unknown_token_id'),
      'tokenizer.ggml.unknown_token_id',
      source,
    ) ?? 0;
  const bosId =
    tokenIdValue(lookup(metadata, 'tokenizer.ggml.bos_token_id'), 'tokenizer.ggml.bos_token_id', source) ?? 1;
  const eosId =
    tokenIdValue(lookup(metadata, 'tokenizer.ggml.eos_token_id'), 'tokenizer.ggml.eos_token_id', source) ?? 2;
  const padId = tokenIdValue(
    lookup(metadata, 'tokenizer.ggml.padding_token_id'),
    'tokenizer.ggml.padding_token_id',
    source,
  );

  const typesKey = 'tokenizer.ggml.token_type';
  const rawTypes = arrayValue(lookup(metadata, typesKey), typesKey, source);
  // Without token types, infer them the way SentencePiece would have marked these pieces.
  const types =
    rawTypes === null
      ? pieces.map((piece, id) => {
          if (id === unkId) return SentencePieceTokenType.unknown;
          if (id === bosId || id === eosId) return SentencePieceTokenType.control;
          return isBytePiece(piece) ? SentencePieceTokenType.byte : SentencePieceTokenType.normal;
        })
      : numberArray(rawTypes, typesKey, source);
  return { pieces, scores, types, unkId, bosId, eosId, padId };
}

/** A Tokenizer for the vocabulary embedded in a GGUF file's metadata. */
export function tokenizerFromGguf(metadata: GgufMetadata, source: string): HuggingFaceTokenizer {
  const vocab = sentencePieceVocabFromGguf(metadata, source);
  const addBos = lookup(metadata, 'tokenizer.ggml.add_bos_token');
  const addEos = lookup(metadata, 'tokenizer.ggml.add_eos_token');
  return tokenizerFromSentencePieceVocab(vocab, source, {
    addBosToken: typeof addBos === 'boolean' ? addBos : true,
    addEosToken: typeof addEos === 'boolean' ? addEos : false,
  });
}
