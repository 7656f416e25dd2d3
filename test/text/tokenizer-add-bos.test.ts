// Which special tokens a tokenizer.json folder has and whether its own encoding adds BOS/EOS:
// tokenizer_config.json first, special_tokens_map.json next, then the post-processor and the
// class default, as transformers decides; and the chat template from the config or beside it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { byteLevelFixture, CHAT_TEMPLATE, writeTokenizerFolder } from './byte-level-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'shorten-add-bos-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function folder(
  fixture: ReturnType<typeof byteLevelFixture>,
  config: Record<string, unknown> | null,
  extra: Record<string, string> = {},
): string {
  return writeTokenizerFolder(join(root, String(n++)), { ...fixture, config }, extra);
}

const llama3 = byteLevelFixture('llama3', 40);
const qwen2 = byteLevelFixture('qwen2', 40);

describe('add_bos_token and the special tokens of a tokenizer.json folder', () => {
  it("tokenizer_config.json's add_bos_token wins over the post-processor", () => {
    const tok = loadTokenizerJson(folder(llama3, { ...llama3.config, add_bos_token: false }));
    assert.equal(tok.bosId, llama3.ids['<|begin_of_text|>']);
    assert.equal(tok.addBosToken, false);
  });

  it('without tokenizer_config.json, the TemplateProcessing post-processor names BOS and adds it', () => {
    const tok = loadTokenizerJson(folder(llama3, null));
    assert.equal(tok.bosId, llama3.ids['<|begin_of_text|>']);
    assert.equal(tok.eosId, llama3.ids['<|end_of_text|>']);
    assert.equal(tok.addBosToken, true);
  });

  it('bos_token null means no BOS, even with add_bos_token true (transformers turns it off)', () => {
    const tok = loadTokenizerJson(folder(qwen2, { ...qwen2.config, add_bos_token: true }));
    assert.equal(tok.bosId, null);
    assert.equal(tok.addBosToken, false);
  });

  it('LlamaTokenizerFast adds BOS by default, whatever the post-processor', () => {
    const json = { ...llama3.json, post_processor: null };
    const tok = loadTokenizerJson(
      folder({ ...llama3, json }, { ...llama3.config, tokenizer_class: 'LlamaTokenizerFast' }),
    );
    assert.equal(tok.addBosToken, true);
    const plain = loadTokenizerJson(folder({ ...llama3, json }, llama3.config));
    assert.equal(plain.addBosToken, false, 'PreTrainedTokenizerFast: the post-processor decides');
  });

  it('special_tokens_map.json gives the tokens tokenizer_config.json lacks', () => {
    const tok = loadTokenizerJson(
      folder(
        qwen2,
        { tokenizer_class: 'Qwen2Tokenizer' },
        {
          'special_tokens_map.json': JSON.stringify({
            bos_token: { content: '<|im_start|>', special: true },
            eos_token: '<|im_end|>',
            pad_token: '<|endoftext|>',
          }),
        },
      ),
    );
    assert.equal(tok.bosId, qwen2.ids['<|im_start|>']);
    assert.equal(tok.eosId, qwen2.ids['<|im_end|>']);
    assert.equal(tok.padId, qwen2.ids['<|endoftext|>']);
    assert.equal(tok.addBosToken, false);
  });

  it('add_eos_token follows a post-processor that appends EOS', () => {
    const eos = '<|end_of_text|>';
    const json = {
      ...llama3.json,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
        pair: [],
        special_tokens: { [eos]: { id: eos, ids: [llama3.ids[eos]], tokens: [eos] } },
      },
    };
    const tok = loadTokenizerJson(folder({ ...llama3, json }, llama3.config));
    assert.equal(tok.addEosToken, true);
    assert.equal(tok.addBosToken, false);
  });

  it('the chat template comes from tokenizer_config.json, else chat_template.jinja beside it', () => {
    const fromConfig = loadTokenizerJson(folder(qwen2, qwen2.config));
    assert.equal(fromConfig.toTokenizerConfig().chat_template, CHAT_TEMPLATE);
    const beside = loadTokenizerJson(
      folder(llama3, llama3.config, { 'chat_template.jinja': '{{ bos_token }}' }),
    );
    assert.equal(beside.toGgufMetadata()['tokenizer.chat_template'], '{{ bos_token }}');
  });

  it('names the file, the field and the token when a special token is not in the vocabulary', () => {
    assert.throws(
      () => loadTokenizerJson(folder(qwen2, { ...qwen2.config, eos_token: '<|nope|>' })),
      /tokenizer_config\.json eos_token: expected a token in the vocabulary, got "<\|nope\|>"/,
    );
  });
});
