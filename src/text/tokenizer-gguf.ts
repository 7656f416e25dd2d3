// Builds a Tokenizer from a GGUF file's `tokenizer.ggml.*` metadata: the 'llama' tokenizer model
// (SentencePiece BPE with byte fallback) or the 'gpt2' one (byte-level BPE, see
// byte-level-gguf.ts). The values are checked, not trusted.

import { byteLevelTokenizerFromGguf } from './tokenizer-gguf-gpt2.js';
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
import { SentencePieceTokenType, isBytePiece, type SentencePieceVocab } from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import type { HuggingFaceTokenizer } from './tokenizer-hf.js';
import { tokenizerFromSentencePieceVocab } from './tokenizer-sentencepiece.js';

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
  const pieces = stringArray(metadata, 'tokenizer.ggml.tokens', source);
  const scoresKey = 'tokenizer.ggml.scores';
  const rawScores = arrayValue(lookup(metadata, scoresKey), scoresKey, source);
  if (rawScores === null)
    throw new TokenizerFormatError(source, scoresKey, 'expected an array of float32, it is missing');
  const scores = numberArray(rawScores, scoresKey, source);

  const unkId = tokenIdValue(metadata, 'tokenizer.ggml.unknown_token_id', source) ?? 0;
  const bosId = tokenIdValue(metadata, 'tokenizer.ggml.bos_token_id', source) ?? 1;
  const eosId = tokenIdValue(metadata, 'tokenizer.ggml.eos_token_id', source) ?? 2;
  const padId = tokenIdValue(metadata, 'tokenizer.ggml.padding_token_id', source);

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
  const model = lookup(metadata, 'tokenizer.ggml.model');
  if (model === 'gpt2') return byteLevelTokenizerFromGguf(metadata, source);
  if (model !== 'llama')
    throw new TokenizerFormatError(
      source,
      'tokenizer.ggml.model',
      `expected 'llama' (SentencePiece BPE) or 'gpt2' (byte-level BPE), got ${JSON.stringify(model) ?? 'nothing'}`,
    );
  const vocab = sentencePieceVocabFromGguf(metadata, source);
  // llama.cpp's defaults for a 'llama' vocabulary when the keys are absent.
  return tokenizerFromSentencePieceVocab(vocab, source, {
    addBosToken: booleanValue(metadata, 'tokenizer.ggml.add_bos_token', true, source),
    addEosToken: booleanValue(metadata, 'tokenizer.ggml.add_eos_token', false, source),
    chatTemplate: chatTemplateValue(metadata, source),
  });
}
