// Today's checkpoint forms (Llama 3.x, Qwen2.5 + YaRN, Qwen3, linear and dynamic scaling, SmolLM)
// as small random HF folders: the runtime's logits (tape forward and KV-cache inference) against a
// float64 forward written from transformers' code, gradients through q/k norms and scaled rotary
// tables, and the same model after a round trip through GGUF and back to an HF folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/formats/load.js';
import { readGguf } from '../../src/formats/gguf.js';
import {
  buildModel,
  llamaForward,
  nextTokenTargets,
  trainableParameters,
} from '../../src/model/llama-forward.js';
import { LlamaInference } from '../../src/model/inference.js';
import type { ModelWeights } from '../../src/model/weights.js';
import type { Tensor } from '../../src/tensor/index.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import { tempDir } from '../formats/temp-dir.js';
import { MODEL_FORMS, formConfigJson, formWeights, writeFormFolder } from '../helpers/model-forms.js';
import type { ModelForm } from '../helpers/model-forms.js';
import { mulberry32 } from '../helpers/random.js';
import { referenceLogits } from '../helpers/reference-forward.js';
import { checkGradients } from '../tensor/gradcheck.js';

/** A folder with these tensors and config.json, written without the writer's own shape checks. */
function writeHfFolderUnchecked(dir: string, w: ModelWeights, config: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), w.tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}

const IDS = [1, 7, 22, 5, 60, 13, 13, 40, 2, 9, 31, 17];

function maxRelError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(ours[i] - ref[i]));
  return err / scale;
}

function forwardLogits(w: ModelWeights, ids: readonly number[]): Float32Array {
  const r = llamaForward(buildModel(w), Int32Array.from(ids), { batch: 1, seqLen: ids.length });
  return r.logits.data as Float32Array;
}

/** Prefill the first `split` tokens, then decode the rest one at a time: logits of every position. */
function inferenceLogits(w: ModelWeights, ids: readonly number[], split: number): Float32Array {
  const inf = new LlamaInference(w);
  const cache = inf.newCache(1, ids.length);
  const V = w.config.vocabSize;
  const out = new Float32Array(ids.length * V);
  out.set(inf.forward(Int32Array.from(ids.slice(0, split)), 1, cache), 0);
  for (let t = split; t < ids.length; t++) out.set(inf.forward(Int32Array.of(ids[t]), 1, cache), t * V);
  return out;
}

for (const form of MODEL_FORMS) {
  test(`${form}: logits equal the float64 transformers-style forward (tape and KV cache)`, (t) => {
    const dir = tempDir(t);
    writeFormFolder(dir, form, 11);
    const loaded = loadModel(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const ref = referenceLogits(cfg, loaded.weights, IDS);
    assert.ok(maxRelError(forwardLogits(loaded.weights, IDS), ref) < 2e-5, 'tape forward');
    // Dynamic NTK recomputes frequencies from each call's longest position (as transformers does),
    // so only a single prefill sees the whole sequence's frequencies.
    const split = form === 'llama-dynamic' ? IDS.length : 5;
    assert.ok(maxRelError(inferenceLogits(loaded.weights, IDS, split), ref) < 2e-5, 'KV-cache inference');
  });
}

test('dynamic NTK changes nothing until positions pass max_position_embeddings', () => {
  const w = formWeights('llama-dynamic', 3);
  const plain = { ...w, config: { ...w.config, ropeScaling: null } };
  const short = IDS.slice(0, w.config.maxSeqLen);
  assert.deepEqual(forwardLogits(w, short), forwardLogits(plain, short));
  assert.ok(maxRelError(forwardLogits(w, IDS), forwardLogits(plain, IDS)) > 1e-3);
});

test('gradients through q/k norms, biases and YaRN / Llama 3 rotary tables match finite differences (f64)', () => {
  for (const form of ['qwen3', 'qwen2-yarn', 'llama3'] as ModelForm[]) {
    const w = formWeights(form, 5);
    const names = [...w.tensors.keys()].filter((n) =>
      /layers\.1\.self_attn\.(q_norm|k_norm|q_proj|k_proj\.bias)|layers\.0\.mlp\.up_proj|model\.norm/.test(n),
    );
    const model = buildModel(w, { kind: 'f64', trainable: names });
    const ids = Int32Array.from(IDS.slice(0, 7));
    const targets = nextTokenTargets(ids, 1, ids.length);
    checkGradients(
      () => llamaForward(model, ids, { batch: 1, seqLen: ids.length, targets }).loss as Tensor,
      [...trainableParameters(model).values()],
      mulberry32(6),
      { tolerance: 3e-6 },
    );
  }
});

for (const form of MODEL_FORMS.filter((f) => f !== 'llama-dynamic')) {
  test(`${form}: HF → GGUF → HF keeps the config and the logits`, (t) => {
    const dir = tempDir(t);
    writeFormFolder(join(dir, 'hf'), form, 12, 'bf16');
    const hf = loadModel(join(dir, 'hf'));
    saveModel(hf.weights, join(dir, 'm.gguf'), 'gguf');
    const gguf = readGguf(join(dir, 'm.gguf'));
    assert.equal(
      gguf.metadata.get('general.architecture')?.value,
      form.startsWith('qwen') ? form.slice(0, 5) : 'llama',
    );
    // Norms and biases go to GGUF as F32, as llama.cpp's converter writes them.
    for (const [name, tensor] of gguf.weights.tensors)
      if (tensor.shape.length === 1) assert.equal(tensor.dtype, 'f32', name);
    const ref = forwardLogits(hf.weights, IDS);
    assert.ok(maxRelError(forwardLogits(gguf.weights, IDS), ref) < 1e-6, 'GGUF logits');
    saveModel(gguf.weights, join(dir, 'back'), 'hf');
    const back = loadModel(join(dir, 'back'));
    assert.deepEqual(back.weights.config.ropeScaling, hf.weights.config.ropeScaling);
    assert.equal(back.weights.config.architecture, hf.weights.config.architecture);
    assert.equal(back.weights.config.tieWordEmbeddings, hf.weights.config.tieWordEmbeddings);
    assert.ok(maxRelError(forwardLogits(back.weights, IDS), ref) < 1e-6, 'HF again');
    const written = JSON.parse(readFileSync(join(dir, 'back/config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const original = formConfigJson(form);
    for (const key of ['architectures', 'tie_word_embeddings', 'head_dim', 'rope_theta'])
      if (key in original) assert.deepEqual(written[key], original[key], key);
  });
}

test('a Llama 3 GGUF keeps rope_freqs and llama.cpp-form keys; a Qwen3 GGUF has q/k norm tensors and no permutation', (t) => {
  const dir = tempDir(t);
  const llama = formWeights('llama3', 1);
  saveModel(llama, join(dir, 'l.gguf'), 'gguf');
  const l = readGguf(join(dir, 'l.gguf'));
  assert.equal(l.weights.config.ropeFreqFactors?.length, llama.config.headDim / 2);
  assert.equal(l.weights.config.ropeScaling?.type, 'llama3');
  const qwen = formWeights('qwen3', 1);
  saveModel(qwen, join(dir, 'q.gguf'), 'gguf');
  const q = readGguf(join(dir, 'q.gguf'));
  assert.equal(q.metadata.get('qwen3.attention.key_length')?.value, 12);
  const name = 'model.layers.0.self_attn.q_proj.weight';
  assert.deepEqual(q.weights.tensors.get(name)!.data, qwen.tensors.get(name)!.data);
});

test('a Qwen3 folder missing q_norm, or with an unknown rope type, is refused naming the file and field', (t) => {
  const dir = tempDir(t);
  const w = formWeights('qwen3', 2);
  w.tensors.delete('model.layers.1.self_attn.q_norm.weight');
  writeHfFolderUnchecked(join(dir, 'no-qnorm'), w, formConfigJson('qwen3'));
  assert.throws(
    () => loadModel(join(dir, 'no-qnorm')),
    /no-qnorm\/model\.safetensors: field 'model\.layers\.1\.self_attn\.q_norm\.weight': expected a tensor of shape \[12\] \(it is missing\)/,
  );
  writeFormFolder(join(dir, 'longrope'), 'llama3', 2);
  writeFileSync(
    join(dir, 'longrope/config.json'),
    JSON.stringify({ ...formConfigJson('llama3'), rope_scaling: { rope_type: 'longrope', factor: 4 } }),
  );
  assert.throws(
    () => loadModel(join(dir, 'longrope')),
    /config\.json: field 'rope_scaling\.rope_type': expected .*"longrope"/,
  );
});
