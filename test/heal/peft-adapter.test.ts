// PEFT's adapter layout: key names as PEFT writes them for a LLaMA model (checked against the keys
// of PEFT-saved LLaMA adapters, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`
// with A [r, in] and B [out, r]), adapter_config.json fields, a round trip and merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  parsePeftKey,
  peftKey,
  peftLoraConfig,
  readPeftAdapter,
  writePeftAdapter,
} from '../../src/formats/peft-adapter.js';
import type { AdapterPair } from '../../src/formats/peft-adapter.js';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { loraTargets, PAPER_TARGET_MODULES } from '../../src/heal/lora.js';
import { tinyConfig } from './tiny-model.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-peft-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Keys from PEFT's save_pretrained on LlamaForCausalLM (get_peft_model_state_dict output).
const PEFT_LLAMA_KEYS = [
  'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
  'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
  'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight',
  'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight',
  'base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight',
  'base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight',
  'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight',
  'base_model.model.model.layers.1.mlp.down_proj.lora_B.weight',
];

test("key names are PEFT's for a LLaMA model", () => {
  const targets = loraTargets(tinyConfig(), PAPER_TARGET_MODULES);
  const keys = new Set(targets.flatMap((n) => [peftKey(n, 'A'), peftKey(n, 'B')]));
  for (const k of PEFT_LLAMA_KEYS) assert.ok(keys.has(k), k);
  assert.equal(keys.size, 2 * 7 * 2);
  assert.deepEqual(parsePeftKey(PEFT_LLAMA_KEYS[0]), {
    weightName: 'model.layers.0.self_attn.q_proj.weight',
    which: 'A',
  });
  assert.equal(parsePeftKey('base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight'), null);
});

test('adapter_config.json has the fields PEFT writes; the adapter round-trips', (t) => {
  const dir = tempDir(t);
  const cfg = peftLoraConfig({
    base: 'stories260K',
    r: 2,
    alpha: 16,
    dropout: 0.05,
    targetModules: PAPER_TARGET_MODULES,
  });
  const pair: AdapterPair = {
    a: { dtype: 'f32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    b: { dtype: 'f32', shape: [4, 2], data: Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]) },
  };
  writePeftAdapter(dir, cfg, new Map([['model.layers.0.self_attn.q_proj.weight', pair]]));
  const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries({
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: 2,
    lora_alpha: 16,
    lora_dropout: 0.05,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    base_model_name_or_path: 'stories260K',
  }))
    assert.deepEqual(json[k], v, k);
  assert.deepEqual(json.target_modules, PAPER_TARGET_MODULES);
  const st = readSafetensors(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual([...st.tensors.keys()].sort(), [PEFT_LLAMA_KEYS[0], PEFT_LLAMA_KEYS[1]]);
  assert.deepEqual(st.metadata, { format: 'pt' });
  const back = readPeftAdapter(dir);
  assert.equal(back.config.r, 2);
  assert.deepEqual([...back.pairs.get('model.layers.0.self_attn.q_proj.weight')!.b.data], [...pair.b.data]);
});

test('reading refuses a config that is not plain LoRA, naming the file and field', (t) => {
  const dir = tempDir(t);
  const cfg = peftLoraConfig({ base: null, r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj'] });
  writePeftAdapter(dir, { ...cfg, peft_type: 'IA3' as 'LORA' }, new Map());
  assert.throws(() => readPeftAdapter(dir), /adapter_config\.json: field 'peft_type': expected "LORA"/);
});
