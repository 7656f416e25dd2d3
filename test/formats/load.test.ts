// Format detection and cross-format equality: the same stories260K weights from .bin, .gguf and
// HF folders written by us, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/formats/load.js';
import { readSafetensors } from '../../src/formats/safetensors.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { STORIES_BIN, STORIES_GGUF, assertSameTensors, tempDir } from './temp-dir.js';
import { missingFixture } from '../helpers/fixtures.js';

/** The GGUF fixture stores the shared classifier as its own tensor; compare it with the embedding. */
function untied(w: ModelWeights): ModelWeights {
  const tensors = new Map(w.tensors);
  tensors.set('lm_head.weight', w.tensors.get('model.embed_tokens.weight')!);
  return { config: { ...w.config, tieWordEmbeddings: false }, tensors };
}

test(
  'stories260K from .bin and from .gguf gives bit-identical tensors',
  { skip: missingFixture(STORIES_BIN, STORIES_GGUF) },
  () => {
    const bin = loadModel(STORIES_BIN);
    const gguf = loadModel(STORIES_GGUF);
    assert.equal(bin.format, 'llama2c');
    assert.equal(gguf.format, 'gguf');
    assertSameTensors(untied(bin.weights), gguf.weights);
    const { maxSeqLen: _a, tieWordEmbeddings: _b, ...binRest } = bin.weights.config;
    const { maxSeqLen: _c, tieWordEmbeddings: _d, ...ggufRest } = gguf.weights.config;
    assert.deepEqual(binRest, ggufRest);
  },
);

test(
  '.bin → HF folder → reload is identical, and back to .bin byte for byte',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const bin = loadModel(STORIES_BIN);
    const hf = join(dir, 'hf');
    saveModel(bin.weights, hf, 'hf', { extraFiles: { 'tokenizer_config.json': '{}\n' } });
    const back = loadModel(hf);
    assert.equal(back.format, 'hf');
    assert.deepEqual(back.weights.config, bin.weights.config);
    assertSameTensors(bin.weights, back.weights);
    assert.equal(readFileSync(join(hf, 'tokenizer_config.json'), 'utf8'), '{}\n');
    assert.equal(JSON.parse(readFileSync(join(hf, 'generation_config.json'), 'utf8')).bos_token_id, 1);
    // Overwriting an existing folder replaces it whole.
    saveModel(bin.weights, hf, 'hf');
    assert.equal(loadModel(hf).weights.tensors.size, bin.weights.tensors.size);
    const again = join(dir, 'again.bin');
    saveModel(back.weights, again, 'llama2c', { llama2cRopeTables: bin.llama2cRopeTables });
    assert.ok(readFileSync(again).equals(readFileSync(STORIES_BIN)));
  },
);

test(
  'HF → GGUF → HF keeps every tensor bit for bit; the GGUF from the folder re-reads equal',
  { skip: missingFixture(STORIES_GGUF) },
  (t) => {
    const dir = tempDir(t);
    const hf = join(dir, 'hf');
    const gguf = loadModel(STORIES_GGUF);
    saveModel(gguf.weights, hf, 'hf');
    const fromHf = loadModel(hf);
    const ggufPath = join(dir, 'm.gguf');
    saveModel(fromHf.weights, ggufPath, 'gguf', { ggufMetadata: gguf.ggufMetadata });
    const reread = loadModel(ggufPath);
    assertSameTensors(fromHf.weights, reread.weights);
    assert.deepEqual(reread.weights.config, fromHf.weights.config);
    const hf2 = join(dir, 'hf2');
    saveModel(reread.weights, hf2, 'hf');
    assert.ok(
      readFileSync(join(hf2, 'model.safetensors')).equals(readFileSync(join(hf, 'model.safetensors'))),
    );
    assertSameTensors(fromHf.weights, loadModel(hf2).weights);
  },
);

test(
  'bf16 weights and a pruned sublayer survive HF and GGUF round trips',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const bin = loadModel(STORIES_BIN).weights;
    const tensors = new Map(bin.tensors);
    for (const n of [...tensors.keys()])
      if (n.startsWith('model.layers.2.') && (n.includes('.mlp.') || n.includes('post_attention')))
        tensors.delete(n);
    const q = tensors.get('model.layers.0.self_attn.q_proj.weight')!;
    const bf = new Uint16Array(q.data.length).map((_, i) => (0x3f80 + i) & 0xffff);
    tensors.set('model.layers.0.self_attn.q_proj.weight', { dtype: 'bf16', shape: q.shape, data: bf });
    const pruned: ModelWeights = { config: { ...bin.config, prunedMlp: [2] }, tensors };
    saveModel(pruned, join(dir, 'hf'), 'hf');
    const hf = loadModel(join(dir, 'hf'));
    assert.deepEqual(hf.weights.config.prunedMlp, [2]);
    assertSameTensors(pruned, hf.weights);
    assert.equal(
      readSafetensors(join(dir, 'hf', 'model.safetensors')).tensors.get(
        'model.layers.0.self_attn.q_proj.weight',
      )!.dtype,
      'bf16',
    );
    saveModel(pruned, join(dir, 'm.gguf'), 'gguf');
    const gguf = loadModel(join(dir, 'm.gguf'));
    assertSameTensors(pruned, gguf.weights);
    assert.deepEqual(gguf.weights.config, pruned.config);
  },
);
