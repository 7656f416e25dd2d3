// The model runtime on the real stories260K checkpoint: the published greedy sample, the same
// logits from every format, the KV-cache path against the tape forward in float64, perplexity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perplexity, perplexitySegments } from '../../src/eval/perplexity.js';
import { perplexityFloat64 } from '../../src/eval/perplexity-float64.js';
import { generate } from '../../src/model/generate.js';
import { LlamaInference } from '../../src/model/inference.js';
import { buildModel, llamaForward } from '../../src/model/llama-forward.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { STORIES260K_BIN, STORIES260K_GGUF, WIKI_TEST } from '../helpers/fixtures.js';

// The sample published with the model (llama2.c README: run.c at temperature 0, from BOS).
const PUBLISHED_SAMPLE = `Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.
Lily's mom said, "Lily, let's go to the park." Lily was sad and didn't know what to do. She said, "I want to play with your ball, but I can't find it."
Lily was sad and didn't know what to do. She said, "I'm sorry, Lily. I didn't know what to do."
Lily didn't want to help her mom, so she said, "I'm sorry, mom. I didn't know what to do." Her mom said, "Don't worry, Lily. We can help you.`;

const bin = openModel(STORIES260K_BIN);
const runner = new LlamaInference(bin.weights);

function maxRelativeDiff(a: Float32Array, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

test('greedy decoding from BOS prints the published stories260K sample', () => {
  const out = generate(runner, [[1]], { maxNewTokens: 256, greedy: true });
  const ids = out.tokens[0];
  const text = bin.tokenizer.decode(ids);
  assert.ok(ids.length >= 200);
  assert.ok(text.startsWith(PUBLISHED_SAMPLE), `got:\n${text}`);
  assert.ok(bin.tokenizer.encode(PUBLISHED_SAMPLE).length >= 200);
});

test('the .bin, the .gguf and an HF folder converted from the .bin give the same logits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-runtime-'));
  try {
    const hfPath = join(dir, 'hf');
    saveModelWithTokenizer(bin.weights, bin.tokenizer, hfPath, 'hf');
    const gguf = openModel(STORIES260K_GGUF);
    const hf = openModel(hfPath);
    const ids = Int32Array.from([
      1,
      ...bin.tokenizer.encode('Once upon a time, a dog named Max ran to the big tree.'),
    ]);
    const logits = (r: LlamaInference) => r.forward(ids, 1, r.newCache(1, ids.length));
    const reference = logits(runner);
    assert.ok(maxRelativeDiff(logits(new LlamaInference(gguf.weights)), reference) <= 1e-5);
    assert.ok(maxRelativeDiff(logits(new LlamaInference(hf.weights)), reference) <= 1e-5);
    assert.deepEqual(gguf.tokenizer.encode('Lily saw a cat.'), bin.tokenizer.encode('Lily saw a cat.'));
    assert.deepEqual(hf.tokenizer.encode('Lily saw a cat.'), bin.tokenizer.encode('Lily saw a cat.'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('KV-cache prefill and decode equal the tape forward computed in float64', () => {
  const ids = Int32Array.from([
    1,
    ...bin.tokenizer.encode('The sun was warm and the birds sang in the tall trees.'),
  ]);
  const T = ids.length;
  const reference = llamaForward(buildModel(bin.weights, { kind: 'f64' }), ids, { batch: 1, seqLen: T })
    .logits.data;
  // Prefill the first half, then decode the rest one token at a time.
  const cache = runner.newCache(1, T);
  const half = T >> 1;
  const parts = [runner.forward(ids.subarray(0, half), 1, cache)];
  for (let t = half; t < T; t++) parts.push(runner.forward(ids.subarray(t, t + 1), 1, cache));
  const got = new Float32Array(T * bin.weights.config.vocabSize);
  let o = 0;
  for (const p of parts) {
    got.set(p, o);
    o += p.length;
  }
  assert.ok(maxRelativeDiff(got, reference) <= 1e-5, `max diff ${maxRelativeDiff(got, reference)}`);
});

test('batched generation with left padding equals generating each prompt alone', () => {
  const prompts = ['Once upon a time', 'The cat', 'Tom and Sue went to the beach to play'].map((p) => [
    1,
    ...bin.tokenizer.encode(p),
  ]);
  const batched = generate(runner, prompts, { maxNewTokens: 24, greedy: true });
  prompts.forEach((p, i) => {
    const alone = generate(runner, [p], { maxNewTokens: 24, greedy: true });
    assert.deepEqual(batched.tokens[i], alone.tokens[0]);
  });
});

test('perplexity on wiki.test.raw agrees with a float64 computation to 0.1%', () => {
  const stream = bin.tokenizer.encode(readFileSync(WIKI_TEST, 'utf8').slice(0, 60000));
  for (const bos of ['first', 'every'] as const) {
    const segments = perplexitySegments(stream, 128, bos, 1).slice(0, 24);
    const ours = perplexity(runner, segments, { batch: 8 });
    const { ppl: ppl64, tokens: count } = perplexityFloat64(bin.weights, segments);
    assert.equal(ours.tokens, count);
    assert.ok(Math.abs(ours.ppl - ppl64) / ppl64 < 1e-3, `${bos}: ${ours.ppl} vs ${ppl64}`);
  }
});

test('perplexity segments follow the first / every BOS protocol', () => {
  const stream = Array.from({ length: 10 }, (_, i) => 100 + i);
  assert.deepEqual(perplexitySegments(stream, 4, 'first', 1), [
    [1, 100, 101, 102],
    [103, 104, 105, 106],
  ]);
  assert.deepEqual(perplexitySegments(stream, 4, 'every', 1), [
    [1, 100, 101, 102],
    [1, 103, 104, 105],
    [1, 106, 107, 108],
  ]);
});
