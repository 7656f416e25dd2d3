// tokenizer.json loading with tokenizer_config.json beside it, and GGUF metadata errors.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TokenizerFormatError } from '../../src/text/tokenizer-errors.js';
import { tokenizerFromGguf } from '../../src/text/tokenizer-gguf.js';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { loadLlama2cTokenizer } from '../../src/text/tokenizer-llama2c.js';
import { missingFixture } from '../helpers/fixtures.js';
import { STORIES260K_GGUF, TOK512_BIN } from './fixtures.js';
import { readGgufMetadata } from './gguf-metadata-reader.js';

describe('loadTokenizerJson', { skip: missingFixture(TOK512_BIN) }, () => {
  const tok512 = loadLlama2cTokenizer(TOK512_BIN);
  it('reads special tokens and add_bos_token from tokenizer_config.json beside the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok512.toTokenizerJson()));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        bos_token: { content: '<s>', special: true },
        eos_token: '</s>',
        pad_token: '<unk>',
        add_bos_token: false,
      }),
    );
    const loaded = loadTokenizerJson(join(dir, 'tokenizer.json'));
    assert.equal(loaded.bosId, 1);
    assert.equal(loaded.eosId, 2);
    assert.equal(loaded.padId, 0);
    const metadata = loaded.toGgufMetadata();
    assert.equal(metadata['tokenizer.ggml.add_bos_token'], false);
    assert.equal(metadata['tokenizer.ggml.padding_token_id'], 0);
  });

  it('names the config field whose token is not in the vocabulary', () => {
    assert.throws(
      () => loadTokenizerJson(tok512.toTokenizerJson(), { bos_token: '<bos>' }),
      /tokenizer_config\.json bos_token: expected a token in the vocabulary/,
    );
  });

  it('names the file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), '{ not json');
    assert.throws(() => loadTokenizerJson(join(dir, 'tokenizer.json')), TokenizerFormatError);
  });

  it('refuses GGUF metadata for a tokenizer that is not SentencePiece BPE', () => {
    const json = tok512.toTokenizerJson() as { model: Record<string, unknown> };
    const plainBpe = loadTokenizerJson({ ...json, model: { ...json.model, byte_fallback: false } });
    assert.throws(() => plainBpe.toGgufMetadata(), /model: expected a BPE model with byte_fallback/);
  });
});

describe('tokenizerFromGguf', { skip: missingFixture(STORIES260K_GGUF, TOK512_BIN) }, () => {
  const tok512 = loadLlama2cTokenizer(TOK512_BIN);
  const metadata = readGgufMetadata(STORIES260K_GGUF);
  const changed = (key: string, value: unknown): Map<string, unknown> => new Map(metadata).set(key, value);
  const tokens = metadata.get('tokenizer.ggml.tokens') as string[];

  it('accepts typed arrays and bigint ids as a GGUF reader may give them', () => {
    const typed = new Map(metadata)
      .set('tokenizer.ggml.scores', Float32Array.from(metadata.get('tokenizer.ggml.scores') as number[]))
      .set(
        'tokenizer.ggml.token_type',
        Int32Array.from(metadata.get('tokenizer.ggml.token_type') as number[]),
      )
      .set('tokenizer.ggml.bos_token_id', 1n);
    const tokenizer = tokenizerFromGguf(Object.fromEntries(typed), 'typed.gguf');
    assert.deepEqual(tokenizer.encode('Once upon a time'), tok512.encode('Once upon a time'));
  });

  const cases: [string, Map<string, unknown>, RegExp][] = [
    [
      'another tokenizer model',
      changed('tokenizer.ggml.model', 'bert'),
      /tokenizer\.ggml\.model: expected 'llama' \(SentencePiece BPE\) or 'gpt2'/,
    ],
    [
      'missing tokens',
      changed('tokenizer.ggml.tokens', undefined),
      /tokenizer\.ggml\.tokens: expected an array/,
    ],
    ['a non-string token', changed('tokenizer.ggml.tokens', [...tokens.slice(0, -1), 7]), /tokens\[511\]/],
    ['too few scores', changed('tokenizer.ggml.scores', [0, 0]), /scores: expected 512 scores/],
    ['a bad token type', changed('tokenizer.ggml.token_type', new Array(512).fill(9)), /token_type\[0\]/],
    [
      'a BOS id past the end',
      changed('tokenizer.ggml.bos_token_id', 600),
      /bos_token_id: expected a token id/,
    ],
    [
      'duplicate tokens',
      changed('tokenizer.ggml.tokens', [...tokens.slice(0, -1), '<unk>']),
      /unique pieces/,
    ],
  ];
  for (const [what, broken, message] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => tokenizerFromGguf(broken, 'broken.gguf'),
        (error: unknown) =>
          error instanceof TokenizerFormatError &&
          /^broken\.gguf: /.test(error.message) &&
          message.test(error.message),
      );
    });
  }
});
