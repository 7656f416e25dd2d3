// Writing an HF folder: the tokenizer files of a model read from an HF folder are carried byte for
// byte; a tokenizer from GGUF or llama2.c gets a generated tokenizer.json and a tokenizer_config.json
// right for its kind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/formats/load.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { TOKENIZER_FILE_NAMES } from '../../src/pipeline/tokenizer-files.js';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { missingFixture, STORIES260K_BIN } from '../helpers/fixtures.js';
import { tinyModel } from '../prune/tiny-models.js';
import { byteLevelFixture, CHAT_TEMPLATE, CHECK_TEXTS } from '../text/byte-level-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'shorten-tokenizer-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tokenizerConfigIn(folder: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
}

describe('tokenizer files of a written HF folder', () => {
  const fixture = byteLevelFixture('qwen2', 60);
  const vocabSize = loadTokenizerJson(fixture.json, fixture.config ?? {}).vocabSize;
  // As a hub folder holds them, each with content of its own, compact JSON and all.
  const files: Record<string, string> = {
    'tokenizer.json': JSON.stringify(fixture.json),
    'tokenizer_config.json': JSON.stringify(fixture.config),
    'special_tokens_map.json': JSON.stringify({ eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' }),
    'vocab.json': '{"a": 0}',
    'merges.txt': '#version: 0.2\n',
    'chat_template.jinja': CHAT_TEMPLATE,
  };
  const source = join(root, 'qwen-hf');
  saveModel(tinyModel(5, { vocabSize }), source, 'hf', { extraFiles: files });

  it('an HF folder written from an HF folder carries its tokenizer files unchanged', () => {
    const m = openModel(source);
    const out = join(root, 'qwen-copy');
    saveModelWithTokenizer(m.weights, m.tokenizer, out, 'hf', { files: { 'prune.json': '{}' } });
    for (const name of TOKENIZER_FILE_NAMES) {
      assert.equal(existsSync(join(out, name)), name in files, name);
      if (name in files) assert.equal(readFileSync(join(out, name), 'utf8'), files[name], name);
    }
    assert.ok(existsSync(join(out, 'prune.json')));
    assert.equal(openModel(out).tokenizer.bosId, null);
  });

  it('from GGUF, the generated tokenizer_config.json is the byte-level kind, with add_bos_token and the chat template', () => {
    const gguf = join(root, 'qwen.gguf');
    const m = openModel(source);
    saveModelWithTokenizer(m.weights, m.tokenizer, gguf, 'gguf');
    const hf = join(root, 'qwen-from-gguf');
    const fromGguf = openModel(gguf);
    saveModelWithTokenizer(fromGguf.weights, fromGguf.tokenizer, hf, 'hf');
    const config = tokenizerConfigIn(hf);
    assert.equal(config.tokenizer_class, 'PreTrainedTokenizerFast');
    assert.equal(config.add_bos_token, false);
    assert.equal(config.eos_token, '<|endoftext|>');
    assert.equal(config.chat_template, CHAT_TEMPLATE);
    assert.equal(config.model_max_length, 32);
    const back = openModel(hf);
    for (const text of CHECK_TEXTS) assert.deepEqual(back.tokenizer.encode(text), m.tokenizer.encode(text));
  });

  it('a Llama-3-form tokenizer from GGUF keeps adding BOS once written as an HF folder', () => {
    const llama3 = byteLevelFixture('llama3', 60);
    const tok = loadTokenizerJson(llama3.json, llama3.config ?? {});
    const gguf = join(root, 'llama3.gguf');
    saveModelWithTokenizer(tinyModel(5, { vocabSize: tok.vocabSize }), tok, gguf, 'gguf');
    const hf = join(root, 'llama3-hf');
    const m = openModel(gguf);
    saveModelWithTokenizer(m.weights, m.tokenizer, hf, 'hf');
    const config = tokenizerConfigIn(hf);
    assert.equal(config.add_bos_token, true);
    assert.equal(config.bos_token, '<|begin_of_text|>');
    const back = openModel(hf).tokenizer;
    assert.equal(back.addBosToken, true);
    assert.equal(back.bosId, tok.bosId);
  });

  it(
    'a llama2.c model gets the SentencePiece kind: LlamaTokenizerFast, add_bos_token true',
    { skip: missingFixture(STORIES260K_BIN) },
    () => {
      const m = openModel(STORIES260K_BIN);
      const hf = join(root, 'stories-hf');
      saveModelWithTokenizer(m.weights, m.tokenizer, hf, 'hf');
      const config = tokenizerConfigIn(hf);
      assert.equal(config.tokenizer_class, 'LlamaTokenizerFast');
      assert.equal(config.add_bos_token, true);
      assert.equal(config.bos_token, '<s>');
      assert.equal(config.unk_token, '<unk>');
    },
  );
});
