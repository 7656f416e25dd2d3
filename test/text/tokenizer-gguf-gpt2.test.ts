// GGUF 'gpt2' vocabularies both ways: a byte-level tokenizer.json to tokenizer.ggml.* keys (the pre
// name identified by its regexes) and back to a tokenizer that encodes identically; through a real
// GGUF file of a tiny model; and the errors for what llama.cpp would refuse.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { plainTokenizerKeys, typedTokenizerKeys } from '../../src/pipeline/gguf-tokenizer-keys.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { tokenizerFromGguf } from '../../src/text/tokenizer-gguf.js';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { tinyModel } from '../prune/tiny-models.js';
import { CHECK_TEXTS, byteLevelFixture, randomTexts } from './byte-level-fixtures.js';
import { cleanUpTokenization, referenceEncode } from './byte-level-reference.js';

const root = mkdtempSync(join(tmpdir(), 'shorten-gguf-gpt2-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TEXTS = [...CHECK_TEXTS, ...randomTexts(150, 3)];
const PRE = { llama3: 'llama-bpe', qwen2: 'qwen2', smollm: 'smollm', gpt2: 'gpt-2' } as const;

/** Through the GGUF writer's typed values and the reader's plain ones. */
function throughGguf(metadata: Record<string, unknown>): Record<string, unknown> {
  return plainTokenizerKeys(typedTokenizerKeys(metadata));
}

for (const form of ['llama3', 'qwen2', 'smollm', 'gpt2'] as const) {
  describe(`GGUF gpt2 metadata, ${form} form`, () => {
    const fixture = byteLevelFixture(form);
    const tok = loadTokenizerJson(fixture.json, fixture.config ?? {});
    const metadata = tok.toGgufMetadata();
    const back = tokenizerFromGguf(throughGguf(metadata), `${form}.gguf`);

    it(`names the pre-tokenizer '${PRE[form]}' and marks special tokens as control`, () => {
      assert.equal(metadata['tokenizer.ggml.model'], 'gpt2');
      assert.equal(metadata['tokenizer.ggml.pre'], PRE[form]);
      const tokens = metadata['tokenizer.ggml.tokens'] as string[];
      const types = metadata['tokenizer.ggml.token_type'] as number[];
      assert.equal(tokens.length, tok.vocabSize);
      for (const [content, id] of Object.entries(fixture.ids)) {
        assert.equal(tokens[id], content);
        assert.equal(types[id], content === '<tool_call>' ? 4 : 3, content);
      }
      assert.equal(types[fixture.reference.vocab.get('a')!], 1);
      assert.equal(metadata['tokenizer.ggml.add_bos_token'], tok.addBosToken);
    });

    it('reads back into a tokenizer that encodes and decodes identically', () => {
      for (const text of TEXTS) {
        const ids = back.encode(text);
        assert.deepEqual(ids, tok.encode(text), JSON.stringify(text));
        assert.deepEqual(ids, referenceEncode(fixture.reference, text));
        // llama.cpp cleans up spaces on decode for 'gpt-2' (GPT-2's transformers default too); this fixture has no config saying so.
        const decoded = tok.decode(ids);
        assert.equal(back.decode(ids), form === 'gpt2' ? cleanUpTokenization(decoded) : decoded);
      }
      assert.deepEqual(
        [back.bosId, back.eosId, back.padId, back.addBosToken, back.addEosToken, back.vocabSize],
        [tok.bosId, tok.eosId, tok.padId, tok.addBosToken, tok.addEosToken, tok.vocabSize],
      );
      assert.equal(
        back.decode([fixture.ids['<|endoftext|>'] ?? fixture.ids['<|eot_id|>']], { skipSpecial: true }),
        '',
      );
    });

    it('writes the same keys again (the round trip is stable)', () => {
      assert.deepEqual(back.toGgufMetadata(), metadata);
    });
  });
}

describe('GGUF gpt2 through a real file of a tiny model', () => {
  for (const form of ['qwen2', 'llama3'] as const) {
    it(`${form}: the vocabulary padded to the model's, the BOS llama.cpp will see, identical encoding`, () => {
      const fixture = byteLevelFixture(form, 120);
      const tok = loadTokenizerJson(fixture.json, fixture.config ?? {});
      const vocabSize = tok.vocabSize + 5;
      const weights = tinyModel(3, { vocabSize, bosTokenId: 7, eosTokenId: tok.eosId });
      const file = join(root, `${form}.gguf`);
      saveModelWithTokenizer(weights, tok, file, 'gguf');
      const reread = openModel(file);
      assert.equal(reread.tokenizer.vocabSize, vocabSize);
      assert.equal(reread.tokenizer.tokenToPiece(vocabSize - 1), `[PAD${vocabSize - 1}]`);
      for (const text of TEXTS) assert.deepEqual(reread.tokenizer.encode(text), tok.encode(text));
      assert.equal(reread.tokenizer.addBosToken, tok.addBosToken);
      // Without a BOS of its own, the file carries config.json's bos_token_id, as convert_hf_to_gguf.py writes it.
      assert.equal(reread.tokenizer.bosId, form === 'qwen2' ? 7 : tok.bosId);
    });
  }
});

describe('GGUF gpt2 errors name the key and what was expected', () => {
  const fixture = byteLevelFixture('qwen2', 40);
  const metadata = loadTokenizerJson(fixture.json, fixture.config ?? {}).toGgufMetadata();
  const changed = (key: string, value: unknown): Record<string, unknown> => {
    const md = { ...metadata };
    if (value === undefined) delete md[key];
    else md[key] = value;
    return md;
  };
  const tokens = metadata['tokenizer.ggml.tokens'] as string[];
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'an unknown pre',
      changed('tokenizer.ggml.pre', 'tekken'),
      /tokenizer\.ggml\.pre: expected one of llama-bpe, qwen2, smollm, gpt-2, default .* got "tekken"/,
    ],
    ['a pre of another type', changed('tokenizer.ggml.pre', 3), /tokenizer\.ggml\.pre: expected a string/],
    [
      'no merges',
      changed('tokenizer.ggml.merges', undefined),
      /tokenizer\.ggml\.merges: expected an array of strings, it is missing/,
    ],
    [
      'a merge without a space',
      changed('tokenizer.ggml.merges', ['ab']),
      /tokenizer\.ggml\.merges\[0\]: expected "left right"/,
    ],
    ['no EOS', changed('tokenizer.ggml.eos_token_id', undefined), /eos_token_id: expected the EOS token id/],
    [
      'a BOS past the end',
      changed('tokenizer.ggml.bos_token_id', tokens.length),
      /bos_token_id: expected a token id in 0\.\./,
    ],
    ['too few token types', changed('tokenizer.ggml.token_type', [1, 1]), /token_type: expected \d+ types/],
    [
      'duplicate tokens',
      changed('tokenizer.ggml.tokens', [...tokens.slice(0, -1), tokens[0]]),
      /tokens\[\d+\]: expected unique tokens/,
    ],
    [
      'add_bos_token not a boolean',
      changed('tokenizer.ggml.add_bos_token', 1),
      /add_bos_token: expected a boolean/,
    ],
  ];
  for (const [name, md, error] of cases)
    it(name, () => assert.throws(() => tokenizerFromGguf(md, 'bad.gguf'), error));

  it("reads a file without tokenizer.ggml.pre with llama.cpp's 'default' pre-tokenizer, and the aliases of llama-bpe", () => {
    const noPre = tokenizerFromGguf(changed('tokenizer.ggml.pre', undefined), 'old.gguf');
    assert.ok(noPre.encode('Hello 12345 world').length > 0);
    assert.equal(noPre.toGgufMetadata()['tokenizer.ggml.pre'], 'default');
    const alias = tokenizerFromGguf(changed('tokenizer.ggml.pre', 'llama3'), 'alias.gguf');
    assert.equal(alias.toGgufMetadata()['tokenizer.ggml.pre'], 'llama-bpe');
    assert.equal(alias.addBosToken, false, 'add_bos_token false in the file wins over llama-bpe’s default');
  });

  it('refuses to name a pre-tokenizer it cannot identify', () => {
    const json = {
      ...fixture.json,
      pre_tokenizer: { type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Isolated', invert: false },
    };
    const tok = loadTokenizerJson(json, fixture.config ?? {});
    assert.throws(
      () => tok.toGgufMetadata(),
      /pre_tokenizer: expected the pre-tokenizer .* of one of llama\.cpp's llama-bpe, qwen2/,
    );
  });
});
