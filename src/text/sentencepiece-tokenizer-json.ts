// Converts a SentencePiece-BPE vocabulary into a Hugging Face tokenizer.json in the Llama-2 form
// (BPE with byte fallback, merges from piece scores, Prepend("▁") + Replace(" ", "▁"), no
// pre-tokenizer), the form that encodes exactly as llama2.c run.c and llama.cpp do; and back,
// for writing GGUF metadata from such a tokenizer.json.

import { mergesFromScores } from './sentencepiece-merges.js';
import {
  SentencePieceTokenType,
  SPACE_PIECE,
  isBytePiece,
  type SentencePieceVocab,
} from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Builds the Llama-2-form tokenizer.json object for `vocab`. */
export function llamaTokenizerJsonFromVocab(vocab: SentencePieceVocab): Record<string, unknown> {
  const specialPieces = new Set<string>();
  const addedTokens: AddedTokenJson[] = [];
  vocab.types.forEach((type, id) => {
    const special = type === SentencePieceTokenType.control || type === SentencePieceTokenType.unknown;
    if (!special && type !== SentencePieceTokenType.userDefined) return;
    if (special) specialPieces.add(vocab.pieces[id]);
    addedTokens.push({
      id,
      content: vocab.pieces[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special,
    });
  });
  // No prototype: a piece may be spelled "__proto__".
  const vocabObject = Object.create(null) as Record<string, number>;
  vocab.pieces.forEach((piece, id) => {
    vocabObject[piece] = id;
  });
  const bos = vocab.pieces[vocab.bosId];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: SPACE_PIECE },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE_PIECE },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [vocab.bosId], tokens: [bos] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE_PIECE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: vocab.unkId === null ? null : vocab.pieces[vocab.unkId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabObject,
      merges: mergesFromScores(vocab.pieces, vocab.scores, specialPieces),
    },
  };
}

/** The ids a tokenizer.json alone does not say; tokenizer_config.json or the caller supplies them. */
export interface SpecialTokenIds {
  bosId: number;
  eosId: number;
  padId: number | null;
}

/**
 * Recovers a SentencePiece-BPE vocabulary from a BPE tokenizer.json with byte fallback. Scores
 * are not stored in tokenizer.json, so they are derived from merge ranks: the piece made by the
 * merge of rank r scores -r (its earliest merge), so "highest score first" applies merges in rank
 * order; pieces no merge makes score below every merged piece.
 */
export function sentencePieceVocabFromTokenizerJson(
  model: { vocab: Map<string, number>; merges: [string, string][]; unkToken: string | null },
  addedTokens: { id: number; content: string; special: boolean }[],
  ids: SpecialTokenIds,
  source: string,
): SentencePieceVocab {
  let size = 0;
  for (const id of model.vocab.values()) size = Math.max(size, id + 1);
  const pieces: string[] = new Array<string>(size);
  for (const [piece, id] of model.vocab) pieces[id] = piece;
  for (let id = 0; id < size; id++) {
    if (pieces[id] === undefined) {
      throw new TokenizerFormatError(
        source,
        'model.vocab',
        `expected ids 0..${size - 1} without gaps, id ${id} is missing`,
      );
    }
  }
  const scores = new Array<number>(size).fill(Number.NaN);
  model.merges.forEach(([left, right], rank) => {
    const id = model.vocab.get(left + right);
    if (id !== undefined && Number.isNaN(scores[id])) scores[id] = -rank;
  });
  const unmergedScore = -model.merges.length;
  const types = new Array<number>(size).fill(SentencePieceTokenType.normal);
  const specialAdded = new Map(addedTokens.map((t) => [t.id, t.special]));
  for (let id = 0; id < size; id++) {
    const special = specialAdded.get(id);
    if (pieces[id] === model.unkToken) types[id] = SentencePieceTokenType.unknown;
    else if (special === true) types[id] = SentencePieceTokenType.control;
    else if (special === false) types[id] = SentencePieceTokenType.userDefined;
    else if (isBytePiece(pieces[id])) types[id] = SentencePieceTokenType.byte;
    if (Number.isNaN(scores[id])) {
      scores[id] = types[id] === SentencePieceTokenType.normal ? unmergedScore - id : 0;
    }
  }
  const unkId = model.unkToken === null ? undefined : model.vocab.get(model.unkToken);
  return {
    pieces,
    scores,
    types,
    unkId: unkId ?? null,
    bosId: ids.bosId,
    eosId: ids.eosId,
    padId: ids.padId,
  };
}
