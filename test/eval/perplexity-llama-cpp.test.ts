// Our perplexity of every file in fixtures/models/quantized (weights dequantized at load) against
// llama.cpp's figure for the same file (NAME.ppl.json), on the protocol of `shorten eval ppl
// --seq-len 128 --bos first` over the first 20000 characters of the TinyStories validation head.
//
// F32 must match to 1e-6: the same tokens and logits. On the quantized files llama.cpp multiplies
// with activations quantized to q8_0 / q8_K, we with exact f32 activations and the dequantized
// weights, so they differ a little. Measured (ours / llama.cpp - 1): default model (ppl 4.34) -2.1e-4
// to +6.4e-5; random kq256 model (ppl ~1055, far more sensitive) -2.0e-3 to +1.9e-3. The bounds hold
// those with some room. They are wider than the gap between Q8_0 and F32 (0.01% default, 0.04% kq256),
// so they catch a wrong block layout or scale, not llama.cpp's activation rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { perplexity, perplexitySegments } from '../../src/eval/perplexity.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { QUANTIZED_DIR, TINYSTORIES_VAL, missingFixture } from '../helpers/fixtures.js';

const TOLERANCE = { F32: 1e-6, default: 5e-4, kq256: 3e-3 };

interface LlamaCppPpl {
  ppl: number;
  tokens: number;
  segments: number;
  text_tokens: number;
}

const files = existsSync(QUANTIZED_DIR) ? readdirSync(QUANTIZED_DIR).filter((n) => n.endsWith('.gguf')) : [];

test('the quantized fixtures are there', { skip: missingFixture(QUANTIZED_DIR) }, () => {
  assert.equal(files.length, 18, files.join(', '));
});

for (const name of files) {
  const [model, type] = name.replace(/\.gguf$/, '').split('-') as ['default' | 'kq256', string];
  const figures = join(QUANTIZED_DIR, `${model}.ppl.json`);
  test(
    `${name}: perplexity agrees with llama.cpp's`,
    { skip: missingFixture(figures, TINYSTORIES_VAL) },
    () => {
      const ref = (JSON.parse(readFileSync(figures, 'utf8')) as { ppl: Record<string, LlamaCppPpl> }).ppl[
        type
      ];
      assert.ok(ref, `${figures} has a figure for ${type}`);
      const m = openModel(join(QUANTIZED_DIR, name));
      const stream = m.tokenizer.encode(readFileSync(TINYSTORIES_VAL, 'utf8').slice(0, 20000));
      const segments = perplexitySegments(stream, 128, 'first', m.tokenizer.bosId);
      const ours = perplexity(inferenceOf(m), segments, { batch: 8 });
      assert.equal(stream.length, ref.text_tokens);
      assert.equal(ours.tokens, ref.tokens);
      assert.equal(ours.segments, ref.segments);
      const relative = ours.ppl / ref.ppl - 1;
      const bound = type === 'F32' ? TOLERANCE.F32 : TOLERANCE[model];
      assert.ok(Math.abs(relative) < bound, `ours ${ours.ppl}, llama.cpp ${ref.ppl}: ${relative} relative`);
    },
  );
}
