// The SentencePiece-BPE path (tok512.bin, the GGUF's vocabulary) through @huggingface/tokenizers
// against an independent run.c-style encoder, plus round trips through tokenizer.json and GGUF metadata.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { tokenizerFromGguf } from '../../src/text/tokenizer-gguf.js';
import { loadLlama2cTokenizer } from '../../src/text/tokenizer-llama2c.js';
import { missingFixture } from '../helpers/fixtures.js';
import {
  EDGE_CASES,
  STORIES260K_GGUF,
  TINYSTORIES_VAL,
  TOK512_BIN,
  WIKI_TEST,
  tinyStories,
  wikiLines,
} from './fixtures.js';
import { readGgufMetadata } from './gguf-metadata-reader.js';
import { readReferenceVocab, referenceEncode } from './spm-bpe-reference.js';

const skip = missingFixture(TOK512_BIN, STORIES260K_GGUF, TINYSTORIES_VAL, WIKI_TEST);

describe('SentencePiece-BPE tokenizers (tok512)', { skip }, () => {
  const fromBin = loadLlama2cTokenizer(TOK512_BIN);
  const ggufMetadata = readGgufMetadata(STORIES260K_GGUF);
  const fromGguf = tokenizerFromGguf(ggufMetadata, STORIES260K_GGUF);
  const reference = readReferenceVocab(TOK512_BIN);
  const texts = [...EDGE_CASES, ...tinyStories(300), ...wikiLines(600)];

  it('reads the special ids and vocabulary size', () => {
    for (const t of [fromBin, fromGguf]) {
      assert.equal(t.vocabSize, 512);
      assert.equal(t.bosId, 1);
      assert.equal(t.eosId, 2);
      assert.equal(t.padId, null);
      assert.equal(t.tokenToPiece(0), '<unk>');
      assert.equal(t.tokenToPiece(1), '<s>');
      assert.equal(t.tokenToPiece(13), '<0x0A>');
    }
  });

  it('builds the same tokenizer.json from tok512.bin and from the GGUF', () => {
    assert.deepEqual(fromBin.toTokenizerJson(), fromGguf.toTokenizerJson());
  });

  it('encodes as run.c does on stories, wiki lines and edge cases', () => {
    assert.ok(texts.length > 900);
    for (const text of texts) {
      const expected = referenceEncode(reference, text);
      assert.deepEqual(fromBin.encode(text), expected, `tok512.bin on ${JSON.stringify(text.slice(0, 80))}`);
      assert.deepEqual(fromGguf.encode(text), expected, `GGUF on ${JSON.stringify(text.slice(0, 80))}`);
    }
  });

  it('encodes as @huggingface/tokenizers does with the same tokenizer.json, on short and very long text', () => {
    const library = new HfTokenizer(fromBin.toTokenizerJson(), { clean_up_tokenization_spaces: false });
    // tokenizers.js cuts added tokens such as "<s>" out of the text; shorten's encode does not.
    const plain = texts.filter((text) => !/<\/?s>|<unk>/.test(text));
    for (const text of [...plain, wikiLines(300).join('\n')]) {
      const expected = text.length === 0 ? [] : library.encode(text, { add_special_tokens: false }).ids;
      assert.deepEqual(fromBin.encode(text), expected, JSON.stringify(text.slice(0, 80)));
    }
  });

  it('decodes what it encodes back to the same text', () => {
    for (const text of texts) {
      assert.equal(fromBin.decode(fromBin.encode(text)), text, JSON.stringify(text.slice(0, 80)));
    }
  });

  it('falls back to bytes for characters outside the vocabulary', () => {
    const ids = fromBin.encode('😀');
    // "▁" then the four UTF-8 bytes F0 9F 98 80 as <0xNN> tokens (byte + 3).
    assert.deepEqual(ids.slice(-4), [0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3]);
  });

  it('encodes the empty string as no tokens and decodes no tokens as the empty string', () => {
    assert.deepEqual(fromBin.encode(''), []);
    assert.deepEqual(fromBin.encode('', { bos: true, eos: true }), [1, 2]);
    assert.equal(fromBin.decode([]), '');
  });

  it('adds BOS and EOS only when asked', () => {
    const plain = fromBin.encode('Once upon a time');
    assert.notEqual(plain[0], 1);
    const ids = fromBin.encode('Once upon a time', { bos: true, eos: true });
    assert.equal(ids[0], 1);
    assert.equal(ids[ids.length - 1], 2);
    assert.deepEqual(ids.slice(1, -1), plain);
    assert.equal(fromBin.decode(ids, { skipSpecial: true }), 'Once upon a time');
  });

  it('rejects ids outside the vocabulary', () => {
    assert.throws(() => fromBin.decode([512]), RangeError);
    assert.throws(() => fromBin.tokenToPiece(-1), RangeError);
  });

  it('reloads its own tokenizer.json and encodes and decodes identically', () => {
    const reloaded = loadTokenizerJson(JSON.parse(JSON.stringify(fromBin.toTokenizerJson())) as object);
    assert.equal(reloaded.bosId, 1);
    assert.equal(reloaded.eosId, 2);
    assert.equal(reloaded.vocabSize, 512);
    for (const text of texts.slice(0, 200)) {
      const ids = fromBin.encode(text);
      assert.deepEqual(reloaded.encode(text), ids);
      assert.equal(reloaded.decode(ids), text);
    }
  });

  it('writes GGUF metadata equal to the GGUF it was read from', () => {
    const written = fromBin.toGgufMetadata();
    for (const key of [
      'tokenizer.ggml.model',
      'tokenizer.ggml.tokens',
      'tokenizer.ggml.scores',
      'tokenizer.ggml.token_type',
      'tokenizer.ggml.unknown_token_id',
      'tokenizer.ggml.bos_token_id',
      'tokenizer.ggml.eos_token_id',
    ]) {
      assert.deepEqual(written[key], ggufMetadata.get(key), key);
    }
    assert.equal(written['tokenizer.ggml.add_bos_token'], true);
    assert.equal('tokenizer.ggml.padding_token_id' in written, false);
  });

  it('writes GGUF metadata from a reloaded tokenizer.json that encodes the same way', () => {
    const reloaded = loadTokenizerJson(fromBin.toTokenizerJson());
    const metadata = reloaded.toGgufMetadata();
    assert.deepEqual(metadata['tokenizer.ggml.tokens'], ggufMetadata.get('tokenizer.ggml.tokens'));
    assert.deepEqual(metadata['tokenizer.ggml.token_type'], ggufMetadata.get('tokenizer.ggml.token_type'));
    const again = tokenizerFromGguf(metadata, 'derived metadata');
    for (const text of texts.slice(0, 200)) assert.deepEqual(again.encode(text), fromBin.encode(text));
  });
});
