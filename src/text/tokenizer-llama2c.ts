// Reads llama2.c tokenizer files (tok*.bin: int32 max_token_length, then per token float32 score,
// int32 byte length, UTF-8 bytes) into a SentencePiece-BPE vocabulary. The bytes are untrusted:
// every read is bounds-checked and every failure names the file and the field.

import { readFileSync } from 'node:fs';
import {
  SPACE_PIECE,
  SentencePieceTokenType,
  isBytePiece,
  type SentencePieceVocab,
} from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import type { HuggingFaceTokenizer } from './tokenizer-hf.js';
import { tokenizerFromSentencePieceVocab } from './tokenizer-sentencepiece.js';

/** llama2.c's export writes these ids, with BOS and EOS pieces as "\n<s>\n" and "\n</s>\n". */
const UNK_ID = 0;
const BOS_ID = 1;
const EOS_ID = 2;

/**
 * Parses tok*.bin bytes. With `vocabSize`, exactly that many tokens must be present (and nothing
 * after them); without it, tokens are read until the end of the file.
 */
export function parseLlama2cTokenizer(
  bytes: Uint8Array,
  source: string,
  vocabSize?: number,
): SentencePieceVocab {
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize < 3)) {
    throw new TokenizerFormatError(source, 'vocabSize', `expected an integer >= 3, got ${vocabSize}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  if (bytes.byteLength < 4) {
    throw new TokenizerFormatError(
      source,
      'max_token_length',
      `expected 4 bytes at offset 0, the file has ${bytes.byteLength}`,
    );
  }
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0) {
    throw new TokenizerFormatError(
      source,
      'max_token_length',
      `expected a positive int32, got ${maxTokenLength}`,
    );
  }
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4;
  while (vocabSize === undefined ? offset < bytes.byteLength : pieces.length < vocabSize) {
    const id = pieces.length;
    if (bytes.byteLength - offset < 8) {
      throw new TokenizerFormatError(
        source,
        `token ${id} score and length`,
        `expected 8 bytes at offset ${offset}, the file has ${bytes.byteLength - offset} left` +
          (vocabSize === undefined ? '' : ` (reading ${vocabSize} tokens)`),
      );
    }
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (!Number.isFinite(score)) {
      throw new TokenizerFormatError(source, `token ${id} score`, `expected a finite float32, got ${score}`);
    }
    if (length < 0 || length > maxTokenLength) {
      throw new TokenizerFormatError(
        source,
        `token ${id} length`,
        `expected 0..${maxTokenLength} (max_token_length), got ${length}`,
      );
    }
    if (length > bytes.byteLength - offset) {
      throw new TokenizerFormatError(
        source,
        `token ${id} bytes`,
        `expected ${length} bytes at offset ${offset}, the file has ${bytes.byteLength - offset} left`,
      );
    }
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(offset, offset + length));
    } catch {
      throw new TokenizerFormatError(source, `token ${id} bytes`, 'expected valid UTF-8');
    }
    offset += length;
    pieces.push(text);
    scores.push(score);
  }
  if (offset !== bytes.byteLength) {
    throw new TokenizerFormatError(
      source,
      '(end of file)',
      `expected the file to end after ${pieces.length} tokens at offset ${offset}, it has ${bytes.byteLength - offset} more bytes`,
    );
  }
  if (pieces.length < 3) {
    throw new TokenizerFormatError(
      source,
      'tokens',
      `expected at least 3 tokens (<unk>, <s>, </s>), got ${pieces.length}`,
    );
  }
  const types = pieces.map((piece, id) => {
    if (id === UNK_ID) return SentencePieceTokenType.unknown;
    if (id === BOS_ID || id === EOS_ID) return SentencePieceTokenType.control;
    return isBytePiece(piece) ? SentencePieceTokenType.byte : SentencePieceTokenType.normal;
  });
  // llama2.c's export wrote "▁" as " " and wrapped BOS/EOS in newlines; SentencePiece's own form is restored.
  const spPieces = pieces.map((piece, id) =>
    id === BOS_ID || id === EOS_ID ? piece.replace(/^\n+|\n+$/g, '') : piece.replaceAll(' ', SPACE_PIECE),
  );
  return { pieces: spPieces, scores, types, unkId: UNK_ID, bosId: BOS_ID, eosId: EOS_ID, padId: null };
}

/** Loads a llama2.c tok*.bin file as a Tokenizer. */
export function loadLlama2cTokenizer(path: string, vocabSize?: number): HuggingFaceTokenizer {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TokenizerFormatError(path, '(file)', `expected a readable file (${String(error)})`);
  }
  return tokenizerFromSentencePieceVocab(parseLlama2cTokenizer(bytes, path, vocabSize), path);
}
