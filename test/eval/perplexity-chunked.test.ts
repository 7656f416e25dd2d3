// Perplexity takes the LM head over chunks of rows (LlamaInference.tokenNll): the same per-token NLL
// as the whole logits with a float64 logsumexp, for any chunking, and perplexity() the same mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perplexity } from '../../src/eval/perplexity.js';
import { randomLlamaWeights } from '../../src/heal/random-init.js';
import { LlamaInference } from '../../src/model/inference.js';
import { tinyConfig } from '../heal/tiny-model.js';
import { mulberry32 } from '../helpers/random.js';

const V = 5000;
const model = new LlamaInference(randomLlamaWeights(tinyConfig({ vocabSize: V }), 3, 0.5));
const rand = mulberry32(5);
const segments = Array.from({ length: 5 }, () => Array.from({ length: 64 }, () => Math.floor(rand() * V)));

/** Mean next-token NLL from the whole logits, logsumexp in float64 (how perplexity computed it before). */
function wholeLogitsNll(group: number[][]): number[] {
  const len = group[0].length;
  const ids = Int32Array.from(group.flat());
  const logits = model.forward(ids, group.length, model.newCache(group.length, len));
  const out: number[] = [];
  for (let b = 0; b < group.length; b++) {
    for (let t = 0; t < len - 1; t++) {
      const o = (b * len + t) * V;
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, logits[o + i]);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(logits[o + i] - max);
      out.push(Math.log(sum) + max - logits[o + group[b][t + 1]]);
    }
  }
  return out;
}

test('tokenNll over chunks of rows equals the whole logits, for any chunking', () => {
  const group = segments.slice(0, 2);
  const len = group[0].length;
  const targets = new Int32Array(2 * len).fill(-1);
  group.forEach((seg, b) => seg.slice(1).forEach((id, t) => (targets[b * len + t] = id)));
  const want = wholeLogitsNll(group);
  for (const chunkRows of [1, 17, 64, 80, undefined]) {
    const nll = model.tokenNll(Int32Array.from(group.flat()), 2, model.newCache(2, len), targets, chunkRows);
    let k = 0;
    for (let i = 0; i < nll.length; i++) {
      if (targets[i] < 0) {
        assert.equal(nll[i], 0, `unscored position ${i}`);
        continue;
      }
      assert.ok(Math.abs(nll[i] - want[k]) < 2e-5 * Math.max(1, want[k]), `${chunkRows}: position ${i}`);
      k++;
    }
    assert.equal(k, want.length);
  }
});

test('perplexity equals the whole-logits float64 reference (groups of 2 and 4, a partial last group)', () => {
  const all: number[] = [];
  for (let s = 0; s < segments.length; s += 2) all.push(...wholeLogitsNll(segments.slice(s, s + 2)));
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  for (const batch of [2, 4]) {
    const r = perplexity(model, segments, { batch });
    assert.equal(r.tokens, all.length);
    assert.ok(Math.abs(r.nll - mean) < 1e-6 * mean, `batch ${batch}: ${r.nll} vs ${mean}`);
  }
});

test('tokenNll refuses targets outside the vocabulary or of the wrong count', () => {
  const ids = Int32Array.from([1, 2, 3]);
  assert.throws(
    () => model.tokenNll(ids, 1, model.newCache(1, 3), new Int32Array(2)),
    /2 targets for 3 rows/,
  );
  assert.throws(
    () => model.tokenNll(ids, 1, model.newCache(1, 3), Int32Array.from([0, V, -1])),
    new RegExp(`target ${V} at 1`),
  );
});
