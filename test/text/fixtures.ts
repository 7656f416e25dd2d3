// Paths of the shared fixtures the tokenizer tests read, and the text samples drawn from them.

import { readFileSync } from 'node:fs';
import { TINYSTORIES_VAL, WIKI_TEST } from '../helpers/fixtures.js';

export { STORIES260K_GGUF, TOK512_BIN, TINYSTORIES_VAL, WIKI_TEST } from '../helpers/fixtures.js';

/** The first `count` TinyStories validation stories (separated by blank lines in the file). */
export function tinyStories(count: number): string[] {
  const text = readFileSync(TINYSTORIES_VAL, 'utf8');
  return text
    .split(/\n\s*\n/)
    .filter((story) => story.trim().length > 0)
    .slice(0, count);
}

/** The first `count` lines of WikiText-2 raw test, kept exactly (leading spaces, empty lines). */
export function wikiLines(count: number): string[] {
  return readFileSync(WIKI_TEST, 'utf8').split('\n').slice(0, count);
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
