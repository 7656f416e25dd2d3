// Paths of the shared fixtures the tokenizer tests read, and the text samples drawn from them.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export const TOK512_BIN = `${fixtures}models/stories260K/tok512.bin`;
export const STORIES260K_GGUF = `${fixtures}models/stories260K/stories260K.gguf`;

/** The first `count` TinyStories validation stories (separated by blank lines in the file). */
export function tinyStories(count: number): string[] {
  const text = readFileSync(`${fixtures}text/tinystories_validation_head.txt`, 'utf8');
  return text
    .split(/\n\s*\n/)
    .filter((story) => story.trim().length > 0)
    .slice(0, count);
}

/** The first `count` lines of WikiText-2 raw test, kept exactly (leading spaces, empty lines). */
export function wikiLines(count: number): string[] {
  return readFileSync(`${fixtures}text/wiki.test.raw`, 'utf8').split('\n').slice(0, count);
}

/** Hand-made edge cases: whitespace runs, newlines, non-ASCII that falls back to bytes, emoji. */
export const EDGE_CASES = [
  ' ',
  '  ',
  '\n',
  'a',
  ' leading space',
  'trailing space ',
  'repeated   spaces  inside',
  '\n\nnewlines\nbetween\n\n',
  'tabs\tand\r\ncarriage returns',
  'naïve café déjà vu',
  '日本語のテキスト',
  'emoji 😀👍🏽 and flags 🇫🇷',
  'math ∑ ≈ ∞ ™',
  'Once upon a time',
  'literal <s> and </s> and <unk> are text, not special tokens',
  '"Quotes," she said. It\'s — dashes – and … dots',
];
