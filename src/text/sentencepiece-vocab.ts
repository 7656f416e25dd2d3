// A SentencePiece-BPE vocabulary as llama2.c tok*.bin files and GGUF `tokenizer.ggml.model == 'llama'`
// carry it: pieces, scores and token types by id. Both loaders validate into this one shape.

import { TokenizerFormatError } from './tokenizer-errors.js';

/** SentencePiece token types, numbered as sentencepiece_model.proto and GGUF's token_type (of every tokenizer model) do. */
export const SentencePieceTokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

export interface SentencePieceVocab {
  /** Pieces by id, spaces written as `▁` (U+2581). */
  pieces: string[];
  /** Piece scores by id; a merge that makes a higher-scoring piece is applied first. */
  scores: number[];
  /** SentencePieceTokenType by id. */
  types: number[];
  unkId: number | null;
  bosId: number;
  eosId: number;
  padId: number | null;
}

export const SPACE_PIECE = '\u2581';

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

export function isBytePiece(piece: string): boolean {
  return BYTE_PIECE.test(piece);
}

/** Throws TokenizerFormatError (naming `source`) unless the vocabulary is consistent and usable for encoding. */
export function validateSentencePieceVocab(vocab: SentencePieceVocab, source: string): void {
  const n = vocab.pieces.length;
  if (n === 0) throw new TokenizerFormatError(source, 'tokens', 'expected at least one token');
  if (vocab.scores.length !== n) {
    throw new TokenizerFormatError(
      source,
      'scores',
      `expected ${n} scores (one per token), got ${vocab.scores.length}`,
    );
  }
  if (vocab.types.length !== n) {
    throw new TokenizerFormatError(
      source,
      'token_type',
      `expected ${n} types (one per token), got ${vocab.types.length}`,
    );
  }
  const seen = new Map<string, number>();
  for (let id = 0; id < n; id++) {
    const piece = vocab.pieces[id];
    const earlier = seen.get(piece);
    if (earlier !== undefined) {
      throw new TokenizerFormatError(
        source,
        `tokens[${id}]`,
        `expected unique pieces, but ${JSON.stringify(piece)} is also token ${earlier}`,
      );
    }
    seen.set(piece, id);
    if (!Number.isFinite(vocab.scores[id])) {
      throw new TokenizerFormatError(
        source,
        `scores[${id}]`,
        `expected a finite number, got ${vocab.scores[id]}`,
      );
    }
    const type = vocab.types[id];
    if (!Number.isInteger(type) || type < 1 || type > 6) {
      throw new TokenizerFormatError(source, `token_type[${id}]`, `expected an integer 1..6, got ${type}`);
    }
  }
  const ids: [string, number | null][] = [
    ['unknown_token_id', vocab.unkId],
    ['bos_token_id', vocab.bosId],
    ['eos_token_id', vocab.eosId],
    ['padding_token_id', vocab.padId],
  ];
  for (const [field, id] of ids) {
    if (id === null) continue;
    if (!Number.isInteger(id) || id < 0 || id >= n) {
      throw new TokenizerFormatError(source, field, `expected a token id in 0..${n - 1}, got ${id}`);
    }
  }
}
