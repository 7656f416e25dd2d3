// The BPE trainer's view of its text: the Llama-2 normalization (one leading `▁`, spaces as `▁`)
// cut into `▁`-prefixed words with their counts, and the characters that cover the text.

import { SPACE_PIECE } from './sentencepiece-vocab.js';

const WORD_BOUNDARY = /[ \u2581]/;

/**
 * Counts the words of `texts` as the tokenizer's normalizer sees them: each text gets one leading
 * `▁`, every space (and every literal `▁`) starts a new word, so merges never cross a word.
 */
export function countWords(
  texts: Iterable<string>,
  counts: Map<string, number> = new Map(),
): Map<string, number> {
  for (const text of texts) {
    if (text.length === 0) continue;
    for (const segment of text.split(WORD_BOUNDARY)) {
      const word = SPACE_PIECE + segment;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

export interface CharacterChoice {
  /** Kept characters, most frequent first (ties by code point): the initial pieces. */
  kept: string[];
  /** Characters (code points) in the normalized text, counting repeats. */
  totalChars: number;
  /** Share of `totalChars` that the kept characters cover. */
  coveredShare: number;
}

/**
 * The most frequent characters until they cover `coverage` of the text (SentencePiece's
 * character_coverage), at most `maxChars` of them; the others will be written as byte pieces.
 */
export function chooseCharacters(
  words: ReadonlyMap<string, number>,
  coverage: number,
  maxChars: number,
): CharacterChoice {
  const counts = new Map<string, number>();
  let totalChars = 0;
  for (const [word, count] of words) {
    for (const ch of word) {
      counts.set(ch, (counts.get(ch) ?? 0) + count);
      totalChars += count;
    }
  }
  const ordered = [...counts].sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!);
  const kept: string[] = [];
  let covered = 0;
  for (const [ch, count] of ordered) {
    if (kept.length >= maxChars || covered >= coverage * totalChars) break;
    kept.push(ch);
    covered += count;
  }
  return { kept, totalChars, coveredShare: totalChars === 0 ? 0 : covered / totalChars };
}

/**
 * Cuts a corpus file into documents at lines that hold only `separator` (TinyStories copies end
 * each story with `<|endoftext|>`), dropping the blank lines around each cut. The separator
 * itself is never training text.
 */
export function splitDocuments(text: string, separator: string): string[] {
  if (separator.length === 0 || !text.includes(separator)) return text.length > 0 ? [text] : [];
  const documents: string[] = [];
  for (const part of text.split(new RegExp(`^${escapeRegExp(separator)}\\r?$`, 'm'))) {
    const document = part.replace(/^[\r\n]+|[\r\n]+$/g, '');
    if (document.length > 0) documents.push(document);
  }
  return documents;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
