// The merge order derived from SentencePiece scores follows transformers' generate_merges.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergesFromScores } from '../../src/text/sentencepiece-merges.js';

describe('mergesFromScores', () => {
  it('orders by merged score, then longer left part, then merged piece id, then part ids', () => {
    const pieces = ['a', 'b', 'ab', 'ba', 'aba', 'bab', 'abab'];
    const scores = [0, 0, -1, -1, -3, -2, -4];
    assert.deepEqual(mergesFromScores(pieces, scores), [
      ['a', 'b'], // ab, -1, id 2
      ['b', 'a'], // ba, -1, id 3
      ['ba', 'b'], // bab, -2: left length 2 before 1
      ['b', 'ab'],
      ['ab', 'a'], // aba, -3
      ['a', 'ba'],
      ['aba', 'b'], // abab, -4: left lengths 3, 2, 1
      ['ab', 'ab'],
      ['a', 'bab'],
    ]);
  });

  it('splits by code point, never inside a surrogate pair', () => {
    assert.deepEqual(mergesFromScores(['😀', 'x', '😀x'], [0, 0, -1]), [['😀', 'x']]);
  });

  it('leaves excluded (special) pieces out of every merge', () => {
    assert.deepEqual(mergesFromScores(['<', 's>', '<s>'], [0, 0, 0], new Set(['<s>'])), []);
  });
});
