// Random BPE-like vocabularies (every piece the concatenation of two earlier ones, scores falling
// in learning order, as SentencePiece BPE training makes them) encode as run.c does on random text.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadLlama2cTokenizer } from '../../src/text/tokenizer-llama2c.js';
import { llama2cSpecialAndBytePieces, llama2cTokenizerBytes } from './llama2c-tokenizer-file.js';
import { readReferenceVocab, referenceEncode } from './spm-bpe-reference.js';

/** A small deterministic generator (a linear congruential one), so failures reproduce. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('random SentencePiece-BPE vocabularies', () => {
  it('encode as run.c does and decode back', () => {
    const random = randomSource(20240611);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const dir = mkdtempSync(join(tmpdir(), 'shorten-tok-'));
    const chars = [' ', 'a', 'b', 'c', 'é'];
    for (let trial = 0; trial < 60; trial++) {
      const merged: string[] = [];
      const known = new Set(chars);
      const mergeCount = 5 + Math.floor(random() * 40);
      while (merged.length < mergeCount) {
        const piece = pick([...chars, ...merged]) + pick([...chars, ...merged]);
        if (piece.length > 6 || known.has(piece)) continue;
        known.add(piece);
        merged.push(piece);
      }
      const path = join(dir, `tok${trial}.bin`);
      writeFileSync(
        path,
        llama2cTokenizerBytes([
          ...llama2cSpecialAndBytePieces(),
          ...merged.map((piece, i): [string, number] => [piece, -i]),
          ...chars.map((char, i): [string, number] => [char, -merged.length - i]),
        ]),
      );
      const tokenizer = loadLlama2cTokenizer(path);
      const reference = readReferenceVocab(path);
      for (let k = 0; k < 40; k++) {
        let text = '';
        const length = Math.floor(random() * 24);
        // 'd' and '🙂' are outside the vocabulary: byte fallback.
        for (let i = 0; i < length; i++) text += pick(['a', 'b', 'c', ' ', ' ', 'é', 'd', '🙂', '\n']);
        const ids = tokenizer.encode(text);
        assert.deepEqual(
          ids,
          referenceEncode(reference, text),
          `vocabulary ${trial}, text ${JSON.stringify(text)}`,
        );
        assert.equal(tokenizer.decode(ids), text);
      }
    }
  });
});
