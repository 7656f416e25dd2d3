// config.json normalization: defaults, supported architectures, and fields that cannot describe a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/formats/errors.js';
import { configFromHfJson, hfJsonFromConfig } from '../../src/formats/hf-config.js';

const base = {
  architectures: ['LlamaForCausalLM'],
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 172,
  num_hidden_layers: 5,
  num_attention_heads: 8,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 512,
};

function rejects(json: unknown, field: string): void {
  assert.throws(
    () => configFromHfJson(json, 'dir/config.json'),
    (e: unknown) => e instanceof ConfigError && e.file === 'dir/config.json' && e.field === field,
  );
}

test('Transformers defaults fill absent fields', () => {
  const c = configFromHfJson(base, 'config.json');
  assert.equal(c.numKvHeads, 8);
  assert.equal(c.headDim, 8);
  assert.equal(c.ropeTheta, 10000);
  assert.equal(c.tieWordEmbeddings, false);
  assert.equal(c.attentionBias, false);
  assert.deepEqual([c.bosTokenId, c.eosTokenId], [1, 2]);
  const q = configFromHfJson(
    { ...base, architectures: ['Qwen2ForCausalLM'], eos_token_id: [7, 8] },
    'config.json',
  );
  assert.equal(q.attentionBias, true);
  assert.equal(q.eosTokenId, 7);
});

test('config → config.json → config is the identity, pruning fields only when non-empty', () => {
  const c = configFromHfJson({ ...base, num_key_value_heads: 4, shorten_pruned_mlp: [2] }, 'config.json');
  const j = hfJsonFromConfig(c, 'bf16');
  assert.equal(j.torch_dtype, 'bfloat16');
  assert.equal('shorten_pruned_attention' in j, false);
  assert.deepEqual(configFromHfJson(j, 'config.json'), c);
});

test('an unknown architecture names config.json and architectures', () => {
  rejects({ ...base, architectures: ['GPT2LMHeadModel'] }, 'architectures');
  rejects({ ...base, architectures: undefined }, 'architectures');
  assert.throws(
    () => configFromHfJson({ ...base, architectures: ['X'] }, 'config.json'),
    /config\.json: field 'architectures'/,
  );
});

test('a head count that does not divide the width (without head_dim) names num_attention_heads', () => {
  rejects({ ...base, num_attention_heads: 7 }, 'num_attention_heads');
  assert.equal(configFromHfJson({ ...base, num_attention_heads: 7, head_dim: 8 }, 'c').headDim, 8);
});

test('other unusable fields are refused by name', () => {
  rejects({ ...base, num_key_value_heads: 3 }, 'num_key_value_heads');
  rejects({ ...base, hidden_size: 'big' }, 'hidden_size');
  rejects({ ...base, rope_scaling: { rope_type: 'llama3' } }, 'rope_scaling.factor');
  rejects({ ...base, rope_scaling: { rope_type: 'longrope', factor: 4 } }, 'rope_scaling.rope_type');
  rejects({ ...base, rope_scaling: { type: 'su', factor: 4 } }, 'rope_scaling.rope_type');
  rejects({ ...base, rope_scaling: 'yarn' }, 'rope_scaling');
  rejects({ ...base, partial_rotary_factor: 0.5 }, 'partial_rotary_factor');
  rejects({ ...base, architectures: ['Qwen3ForCausalLM'], attention_bias: true }, 'attention_bias');
  rejects({ ...base, architectures: ['Qwen2ForCausalLM'], use_sliding_window: true }, 'use_sliding_window');
  rejects({ ...base, shorten_pruned_attention: [9] }, 'prunedAttention');
  rejects([], '(root)');
});
