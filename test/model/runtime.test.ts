// The model runtime on real checkpoints: the published stories260K greedy sample, the same logits
// from every format, the KV-cache path against the tape forward in float64, perplexity. Each check
// runs on the project's own default model (and its conversions), and again on the stories260K
// fixture when SHORTEN_FIXTURES has it.
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
import type { OpenedModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { missingFixture, STORIES260K_BIN, STORIES260K_GGUF, WIKI_TEST } from '../helpers/fixtures.js';
import { projectStories } from '../helpers/project-data.js';
import { defaultModelFiles, openDefaultModelF32 } from '../helpers/project-models.js';

// The sample published with the model (llama2.c README: run.c at temperature 0, from BOS).
const PUBLISHED_SAMPLE = `Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.
Lily's mom said, "Lily, let's go to the park." Lily was sad and didn't know what to do. She said, "I want to play with your ball, but I can't find it."
Lily was sad and didn't know what to do. She said, "I'm sorry, Lily. I didn't know what to do."
Lily didn't want to help her mom, so she said, "I'm sorry, mom. I didn't know what to do." Her mom said, "Don't worry, Lily. We can help you.`;

/** A checkpoint the checks run on, opened on first use; `skip` when its files are absent. */
interface Subject {
  name: string;
  skip: string | false;
  open(): OpenedModel;
  /** Text to measure perplexity on. */
  text(): string;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const SUBJECTS: Subject[] = [
  {
    name: 'default model',
    skip: false,
    open: lazy(openDefaultModelF32),
    text: () => projectStories(12).join('\n\n'),
  },
  {
    name: 'stories260K',
    skip: missingFixture(STORIES260K_BIN, WIKI_TEST),
    open: lazy(() => openModel(STORIES260K_BIN)),
    text: () => readFileSync(WIKI_TEST, 'utf8').slice(0, 60000),
  },
];
const runnerOf = new Map<Subject, LlamaInference>();
function runner(s: Subject): LlamaInference {
  if (!runnerOf.has(s)) runnerOf.set(s, new LlamaInference(s.open().weights));
  return runnerOf.get(s)!;
}

function maxRelativeDiff(a: Float32Array, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

test('greedy decoding from BOS prints the published stories260K sample', { skip: SUBJECTS[1].skip }, () => {
  const bin = SUBJECTS[1].open();
  const out = generate(runner(SUBJECTS[1]), [[1]], { maxNewTokens: 256, greedy: true });
  const ids = out.tokens[0];
  const text = bin.tokenizer.decode(ids);
  assert.ok(ids.length >= 200);
  assert.ok(text.startsWith(PUBLISHED_SAMPLE), `got:\n${text}`);
  assert.ok(bin.tokenizer.encode(PUBLISHED_SAMPLE).length >= 200);
});

/** Logits of the whole sequence `ids` from one prefill. */
function logitsOf(r: LlamaInference, ids: Int32Array): Float32Array {
  return r.forward(ids, 1, r.newCache(1, ids.length));
}

test(
  'stories260K: the .bin, the .gguf and an HF folder converted from the .bin give the same logits',
  { skip: missingFixture(STORIES260K_BIN, STORIES260K_GGUF) },
  () => {
    const bin = SUBJECTS[1].open();
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
      const reference = logitsOf(runner(SUBJECTS[1]), ids);
      assert.ok(maxRelativeDiff(logitsOf(new LlamaInference(gguf.weights), ids), reference) <= 1e-5);
      assert.ok(maxRelativeDiff(logitsOf(new LlamaInference(hf.weights), ids), reference) <= 1e-5);
      assert.deepEqual(gguf.tokenizer.encode('Lily saw a cat.'), bin.tokenizer.encode('Lily saw a cat.'));
      assert.deepEqual(hf.tokenizer.encode('Lily saw a cat.'), bin.tokenizer.encode('Lily saw a cat.'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('default model: its HF folder, GGUF and llama2.c conversions give the same logits and tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-runtime-'));
  try {
    const files = defaultModelFiles(dir);
    const original = SUBJECTS[0].open();
    const ids = Int32Array.from([
      1,
      ...original.tokenizer.encode('Once upon a time, a dog named Max ran to the big tree.'),
    ]);
    const reference = logitsOf(runner(SUBJECTS[0]), ids);
    const converted = [
      openModel(files.hf),
      openModel(files.gguf),
      openModel(files.bin, { tokenizer: files.tokenizer }),
    ];
    for (const m of converted) {
      const diff = maxRelativeDiff(logitsOf(new LlamaInference(m.weights), ids), reference);
      assert.ok(diff <= 1e-5, `${m.source}: ${diff}`);
      assert.deepEqual(m.tokenizer.encode('Lily saw a cat.'), original.tokenizer.encode('Lily saw a cat.'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const subject of SUBJECTS) {
  test(
    `${subject.name}: KV-cache prefill and decode equal the tape forward computed in float64`,
    { skip: subject.skip },
    () => {
      const m = subject.open();
      const r = runner(subject);
      const ids = Int32Array.from([
        1,
        ...m.tokenizer.encode('The sun was warm and the birds sang in the tall trees.'),
      ]);
      const T = ids.length;
      const reference = llamaForward(buildModel(m.weights, { kind: 'f64' }), ids, { batch: 1, seqLen: T })
        .logits.data;
      // Prefill the first half, then decode the rest one token at a time.
      const cache = r.newCache(1, T);
      const half = T >> 1;
      const parts = [r.forward(ids.subarray(0, half), 1, cache)];
      for (let t = half; t < T; t++) parts.push(r.forward(ids.subarray(t, t + 1), 1, cache));
      const got = new Float32Array(T * m.weights.config.vocabSize);
      let o = 0;
      for (const p of parts) {
        got.set(p, o);
        o += p.length;
      }
      assert.ok(maxRelativeDiff(got, reference) <= 1e-5, `max diff ${maxRelativeDiff(got, reference)}`);
    },
  );

  test(
    `${subject.name}: batched generation with left padding equals generating each prompt alone`,
    { skip: subject.skip },
    () => {
      const m = subject.open();
      const prompts = ['Once upon a time', 'The cat', 'Tom and Sue went to the beach to play'].map((p) => [
        1,
        ...m.tokenizer.encode(p),
      ]);
      const batched = generate(runner(subject), prompts, { maxNewTokens: 24, greedy: true });
      prompts.forEach((p, i) => {
        const alone = generate(runner(subject), [p], { maxNewTokens: 24, greedy: true });
        assert.deepEqual(batched.tokens[i], alone.tokens[0]);
      });
    },
  );

  test(
    `${subject.name}: perplexity agrees with a float64 computation to 0.1%`,
    { skip: subject.skip },
    () => {
      const m = subject.open();
      const stream = m.tokenizer.encode(subject.text());
      // The default model is 20× the fixture's size: fewer segments keep the float64 pass short.
      const count = subject === SUBJECTS[0] ? 2 : 24;
      for (const bos of ['first', 'every'] as const) {
        const segments = perplexitySegments(stream, 128, bos, 1).slice(0, count);
        assert.equal(segments.length, count);
        const ours = perplexity(runner(subject), segments, { batch: 8 });
        const { ppl: ppl64, tokens } = perplexityFloat64(m.weights, segments);
        assert.equal(ours.tokens, tokens);
        assert.ok(Math.abs(ours.ppl - ppl64) / ppl64 < 1e-3, `${bos}: ${ours.ppl} vs ${ppl64}`);
      }
    },
  );
}

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
