// Byte-level BPE tokenizer.json in the Llama 3, Qwen2, SmolLM and GPT-2 forms, built here: encoding
// against an independent reference (regex split, byte-to-unicode, merges by rank) on varied text,
// decoding back, special and chat tokens, and text that spells a special token staying text.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import type { HuggingFaceTokenizer } from '../../src/text/tokenizer-hf.js';
import {
  CHAT_TEMPLATE,
  CHECK_TEXTS,
  TRAINING_TEXT,
  byteLevelFixture,
  randomTexts,
  writeTokenizerFolder,
  type ByteLevelFixture,
} from './byte-level-fixtures.js';
import {
  cleanUpTokenization,
  referenceDecode,
  referenceEncode,
  type ReferenceForm,
} from './byte-level-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'shorten-byte-level-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = [...CHECK_TEXTS, ...TRAINING_TEXT.split('\n'), TRAINING_TEXT, ...randomTexts(300, 7)];

function load(form: ReferenceForm): { fixture: ByteLevelFixture; tok: HuggingFaceTokenizer } {
  const fixture = byteLevelFixture(form);
  const path = writeTokenizerFolder(join(dir, form), fixture);
  return { fixture, tok: loadTokenizerJson(path) };
}

for (const form of ['llama3', 'qwen2', 'smollm', 'gpt2'] as const) {
  describe(`byte-level BPE, ${form} form`, () => {
    const { fixture, tok } = load(form);

    it('encodes every text as the reference encoder does', () => {
      let merged = 0;
      for (const text of TEXTS) {
        const ids = tok.encode(text);
        assert.deepEqual(ids, referenceEncode(fixture.reference, text), JSON.stringify(text));
        merged += ids.filter((id) => id >= 256 + (form === 'smollm' ? 3 : 0)).length;
      }
      assert.ok(merged > 500, `merges are used (${merged} merged tokens)`);
    });

    it('decodes back to the text (NFC for Qwen2, clean-up of spaces for Llama 3 as its config asks)', () => {
      for (const text of TEXTS) {
        const ids = tok.encode(text);
        const pieces = ids.map((id) => tok.tokenToPiece(id));
        let expected = referenceDecode(pieces);
        if (form === 'llama3') expected = cleanUpTokenization(expected);
        assert.equal(tok.decode(ids), expected, JSON.stringify(text));
        if (form !== 'llama3') assert.equal(expected, form === 'qwen2' ? text.normalize('NFC') : text);
      }
    });

    it('knows its special tokens; text that spells one stays text; skipSpecial drops them', () => {
      for (const [content, id] of Object.entries(fixture.ids)) {
        assert.equal(tok.pieceToId(content), id);
        assert.equal(tok.tokenToPiece(id), content);
        assert.ok(!tok.encode(`a ${content} b`).includes(id), `${content} written in text is not the token`);
      }
      const special = Object.entries(fixture.ids)
        .filter(([content]) => content !== '<tool_call>')
        .map(([, id]) => id);
      const hello = tok.encode('Hello world');
      const ids = [special[0], ...hello, ...special.slice(1)];
      assert.equal(tok.decode(ids, { skipSpecial: true }), 'Hello world');
      assert.ok(tok.decode(ids).includes(tok.tokenToPiece(special[0])));
      assert.equal(
        tok.vocabSize,
        Math.max(...Object.values(fixture.ids), ...fixture.reference.vocab.values()) + 1,
      );
    });
  });
}

describe('special tokens and add_bos_token of each family', () => {
  it('Llama 3: BOS <|begin_of_text|>, added by the TemplateProcessing post-processor', () => {
    const { fixture, tok } = load('llama3');
    assert.equal(tok.bosId, fixture.ids['<|begin_of_text|>']);
    assert.equal(tok.eosId, fixture.ids['<|end_of_text|>']);
    assert.equal(tok.addBosToken, true);
    assert.equal(tok.addEosToken, false);
    assert.equal(tok.padId, null);
  });

  it('Qwen2: no BOS (bos_token null, though <|endoftext|> exists), EOS and pad <|endoftext|>', () => {
    const { fixture, tok } = load('qwen2');
    assert.equal(tok.bosId, null);
    assert.equal(tok.addBosToken, false);
    assert.equal(tok.eosId, fixture.ids['<|endoftext|>']);
    assert.equal(tok.padId, fixture.ids['<|endoftext|>']);
    assert.throws(() => tok.encode('x', { bos: true }), /has none/);
    assert.equal((tok.toGgufMetadata() as Record<string, unknown>)['tokenizer.chat_template'], CHAT_TEMPLATE);
  });

  it('SmolLM: BOS <|endoftext|> that its tokenizer does not add (GPT2Tokenizer, ByteLevel post-processor)', () => {
    const { fixture, tok } = load('smollm');
    assert.equal(tok.bosId, fixture.ids['<|endoftext|>']);
    assert.equal(tok.addBosToken, false);
  });

  it('GPT-2 without tokenizer_config.json: <|endoftext|> by name for BOS and EOS, none added', () => {
    const { fixture, tok } = load('gpt2');
    assert.equal(tok.bosId, fixture.ids['<|endoftext|>']);
    assert.equal(tok.eosId, fixture.ids['<|endoftext|>']);
    assert.equal(tok.addBosToken, false);
  });
});
