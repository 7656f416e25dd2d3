// Opt-in (SHORTEN_INTEROP=1): files shorten writes load in llama.cpp (through the npm package
// node-llama-cpp, installed into a temporary folder because it is large, or found at
// SHORTEN_NODE_LLAMA_CPP_DIR), and llama.cpp computes what we compute on them:
// - a pruned stories260K GGUF: the same greedy continuation;
// - models/default converted to GGUF and pruned, a Llama-3-form and a Qwen3-form folder converted:
//   the same perplexity (f32 weights on both sides);
// - llama.cpp's own Q4_K_M file pruned by us: the same perplexity within what llama.cpp's quantized
//   activations add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perplexity } from '../../src/eval/perplexity.js';
import { castMatrices } from '../../src/model/cast.js';
import { generate } from '../../src/model/generate.js';
import { LlamaInference } from '../../src/model/inference.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { cutModel, planDepthPrune, pruneRecord, writePrunedModel } from '../../src/prune/depth-prune.js';
import { readCalibrationDocuments, sampleCalibration } from '../../src/text/calibration.js';
import { QUANTIZED_DIR, STORIES260K_BIN, TINYSTORIES_VAL, missingFixture } from '../helpers/fixtures.js';
import { formWeights } from '../helpers/model-forms.js';
import type { ModelForm } from '../helpers/model-forms.js';
import { mulberry32 } from '../helpers/random.js';
import { INTEROP_SKIP, llamaCppGreedy, llamaCppNll } from './llama-cpp-runner.js';

const DEFAULT_MODEL = new URL('../../models/default', import.meta.url).pathname;
const OPTS = { skip: INTEROP_SKIP, timeout: 900_000 };

function workDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-interop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Random token segments (agreement needs no meaningful text). */
function randomSegments(vocab: number, count: number, length: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => 3 + Math.floor(rand() * (vocab - 3))),
  );
}

function ourNll(w: ModelWeights, segments: number[][]): number {
  return perplexity(new LlamaInference(w), segments).nll;
}

function prunedByBlocks(path: string, out: string, blocks: number[]): void {
  const m = openModel(path);
  const opts = { unit: 'block' as const, blocks, protectFirst: 0, protectLast: 0, calib: null };
  const plan = planDepthPrune(m.weights, opts);
  const pruned = cutModel(m.weights, 'block', plan.removed);
  writePrunedModel(pruned, m.tokenizer, out, 'gguf', pruneRecord(path, m.weights, pruned, plan, opts), m);
}

test(
  'a pruned GGUF runs in llama.cpp with the same greedy continuation as ours',
  { ...OPTS, skip: OPTS.skip || missingFixture(STORIES260K_BIN, TINYSTORIES_VAL) },
  (t) => {
    const dir = workDir(t);
    const m = openModel(STORIES260K_BIN);
    const calib = sampleCalibration(readCalibrationDocuments(TINYSTORIES_VAL), m.tokenizer, {
      samples: 10,
      seqLen: 128,
      seed: 1234,
    });
    const opts = {
      unit: 'block',
      criterion: 'taylor',
      remove: '1',
      protectFirst: 1,
      protectLast: 1,
      calib,
    } as const;
    const plan = planDepthPrune(m.weights, opts);
    const pruned = cutModel(m.weights, 'block', plan.removed);
    const gguf = join(dir, 'pruned.gguf');
    writePrunedModel(
      pruned,
      m.tokenizer,
      gguf,
      'gguf',
      pruneRecord(STORIES260K_BIN, m.weights, pruned, plan, opts),
    );
    const reloaded = openModel(gguf);
    const prompt = [reloaded.tokenizer.bosId, ...reloaded.tokenizer.encode('Once upon a time')];
    const theirs = llamaCppGreedy(gguf, prompt, 32);
    const ours = generate(inferenceOf(reloaded), [prompt], {
      maxNewTokens: 32,
      greedy: true,
      stopAtEos: false,
    }).tokens[0];
    assert.ok(theirs.length >= 16, `llama.cpp produced only ${theirs.length} tokens`);
    assert.deepEqual(theirs, ours.slice(0, theirs.length));
  },
);

test('models/default converted to GGUF and pruned: llama.cpp perplexity equals ours', OPTS, (t) => {
  const dir = workDir(t);
  const m = openModel(DEFAULT_MODEL);
  const full = join(dir, 'default.gguf');
  saveModelWithTokenizer(castMatrices(m.weights, 'f32'), m.tokenizer, full, 'gguf', { from: m });
  const pruned = join(dir, 'pruned.gguf');
  prunedByBlocks(full, pruned, [4, 6]);
  const segments = randomSegments(m.weights.config.vocabSize, 6, 64, 1);
  const ours = ourNll(openModel(pruned).weights, segments);
  const theirs = llamaCppNll(pruned, segments, dir);
  t.diagnostic(`nll ours ${ours} llama.cpp ${theirs.nll}`);
  assert.ok(Math.abs(ours - theirs.nll) < 2e-5 * ours, `nll ours ${ours} vs llama.cpp ${theirs.nll}`);
});

for (const form of ['llama3', 'qwen3', 'qwen2-yarn'] as ModelForm[]) {
  test(`a ${form}-form folder converted to GGUF: llama.cpp perplexity equals ours`, OPTS, (t) => {
    const dir = workDir(t);
    // The default model's SentencePiece vocabulary gives the file a tokenizer llama.cpp loads.
    const tokenizerModel = openModel(DEFAULT_MODEL);
    const vocab = tokenizerModel.weights.config.vocabSize;
    const w = formWeights(form, 21, 'f32', { vocab_size: vocab });
    const gguf = join(dir, `${form}.gguf`);
    saveModelWithTokenizer(w, tokenizerModel.tokenizer, gguf, 'gguf');
    const segments = randomSegments(vocab, 4, form === 'qwen2-yarn' ? 30 : 48, 2);
    const ours = ourNll(openModel(gguf).weights, segments);
    const theirs = llamaCppNll(gguf, segments, dir);
    // llama.cpp forms rotary angles in f32 (we use f64): on these random models that moves the NLL
    // by up to ~3e-5; a wrong scaling moves it by far more, which the plain-RoPE figure shows.
    const plain = ourNll({ ...w, config: { ...w.config, ropeScaling: null } }, segments);
    t.diagnostic(`nll ours ${ours} llama.cpp ${theirs.nll}; with plain RoPE ours ${plain}`);
    assert.ok(Math.abs(ours - theirs.nll) < 1e-4 * ours, `nll ours ${ours} vs llama.cpp ${theirs.nll}`);
    if (w.config.ropeScaling)
      assert.ok(Math.abs(ours - theirs.nll) < 0.05 * Math.abs(plain - ours), 'closer than plain RoPE by 20x');
  });
}

const Q4_K_M = join(QUANTIZED_DIR, 'kq256-Q4_K_M.gguf');
test(
  "llama.cpp's Q4_K_M file pruned by us loads in llama.cpp; perplexities agree within quantized-activation rounding",
  { ...OPTS, skip: OPTS.skip || missingFixture(Q4_K_M) },
  (t) => {
    const dir = workDir(t);
    const pruned = join(dir, 'pruned-Q4_K_M.gguf');
    prunedByBlocks(Q4_K_M, pruned, [2, 4]);
    const segments = randomSegments(512, 6, 64, 3);
    const ours = ourNll(openModel(pruned).weights, segments);
    const theirs = llamaCppNll(pruned, segments, dir);
    t.diagnostic(`nll ours ${ours} llama.cpp ${theirs.nll}`);
    assert.ok(Math.abs(ours - theirs.nll) < 2e-3 * ours, `nll ours ${ours} vs llama.cpp ${theirs.nll}`);
  },
);
