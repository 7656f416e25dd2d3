// Broken llama2.c tok*.bin files fail with a TokenizerFormatError naming the file and the field.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TokenizerFormatError } from '../../src/text/tokenizer-errors.js';
import { loadLlama2cTokenizer, parseLlama2cTokenizer } from '../../src/text/tokenizer-llama2c.js';
import { missingFixture } from '../helpers/fixtures.js';
import { TOK512_BIN } from './fixtures.js';
import { llama2cSpecialAndBytePieces, llama2cTokenizerBytes } from './llama2c-tokenizer-file.js';

const skip = missingFixture(TOK512_BIN);
const good = skip ? Buffer.alloc(0) : readFileSync(TOK512_BIN);
/** Offset of token `id`'s int32 length field in tok512.bin. */
function lengthOffset(id: number): number {
  let offset = 4;
  for (let i = 0; i < id; i++) offset += 8 + good.readInt32LE(offset + 4);
  return offset + 4;
}

function expectFormatError(bytes: Uint8Array, field: RegExp, vocabSize?: number): void {
  assert.throws(
    () => parseLlama2cTokenizer(bytes, 'bad-tok.bin', vocabSize),
    (error: unknown) => {
      assert.ok(error instanceof TokenizerFormatError, String(error));
      assert.equal(error.source, 'bad-tok.bin');
      assert.match(error.field, field);
      assert.match(error.message, /^bad-tok\.bin: /);
      return true;
    },
  );
}

describe('llama2.c tok*.bin errors', { skip }, () => {
  it('parses the good file with and without a vocabulary size', () => {
    assert.equal(parseLlama2cTokenizer(good, TOK512_BIN).pieces.length, 512);
    assert.equal(parseLlama2cTokenizer(good, TOK512_BIN, 512).pieces.length, 512);
  });

  it('rejects a file shorter than its header', () => {
    expectFormatError(good.subarray(0, 2), /max_token_length/);
  });

  it('rejects a non-positive max_token_length', () => {
    const bytes = Buffer.from(good);
    bytes.writeInt32LE(0, 0);
    expectFormatError(bytes, /max_token_length/);
  });

  it('rejects a file truncated inside a token', () => {
    expectFormatError(good.subarray(0, lengthOffset(300) + 5), /token 300 bytes/);
    expectFormatError(good.subarray(0, lengthOffset(300) - 2), /token 300 score and length/);
  });

  it('rejects a huge or negative token length', () => {
    for (const length of [0x7fffffff, -1]) {
      const bytes = Buffer.from(good);
      bytes.writeInt32LE(length, lengthOffset(5));
      expectFormatError(bytes, /token 5 length/);
    }
  });

  it('rejects a length beyond max_token_length', () => {
    const bytes = llama2cTokenizerBytes([...llama2cSpecialAndBytePieces(), [' hello!', -1]], 6);
    expectFormatError(bytes, /token 259 length/);
  });

  it('rejects a file with fewer or more tokens than the vocabulary size says', () => {
    expectFormatError(good, /token 512 score and length/, 513);
    expectFormatError(good, /end of file/, 511);
  });

  it('rejects invalid UTF-8 and a non-finite score', () => {
    const badUtf8 = Buffer.from(good);
    badUtf8[lengthOffset(300) + 4] = 0xff;
    expectFormatError(badUtf8, /token 300 bytes/);
    const nanScore = Buffer.from(good);
    nanScore.writeFloatLE(Number.NaN, lengthOffset(300) - 4);
    expectFormatError(nanScore, /token 300 score/);
  });

  it('rejects a file with fewer than three tokens', () => {
    expectFormatError(
      llama2cTokenizerBytes([
        ['<unk>', 0],
        ['\n<s>\n', 0],
      ]),
      /tokens/,
    );
  });

  it('rejects duplicate pieces when building the tokenizer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-tok-'));
    const path = join(dir, 'dup.bin');
    writeFileSync(path, llama2cTokenizerBytes([...llama2cSpecialAndBytePieces(), ['a', -1], ['a', -2]]));
    assert.throws(() => loadLlama2cTokenizer(path), /dup\.bin: tokens\[260\]: expected unique pieces/);
  });

  it('names the path of a file that cannot be read', () => {
    assert.throws(() => loadLlama2cTokenizer('/nonexistent/tok.bin'), /\/nonexistent\/tok\.bin: \(file\)/);
  });
});
