// The commands a user runs first (info, score, prune, eval ppl, generate) on each checkpoint form of
// today, made here: Llama 3, Qwen2.5 with YaRN, Qwen3 and SmolLM folders with their families'
// byte-level tokenizers, the same folders converted to GGUF, and a GGUF in every quantized type.
// A pruned folder keeps rope_scaling, the architecture, the tying and the tokenizer files as they came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { GGML_QUANT_TYPES } from '../../src/formats/ggml-types.js';
import { writeGguf } from '../../src/formats/gguf-writer.js';
import { loadModel } from '../../src/formats/load.js';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import { castMatrices } from '../../src/model/cast.js';
import { typedTokenizerKeys } from '../../src/pipeline/gguf-tokenizer-keys.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';
import { tempDir } from '../formats/temp-dir.js';
import { formConfigJson, writeFormFolder } from '../helpers/model-forms.js';
import type { ModelForm } from '../helpers/model-forms.js';
import { byteLevelFixture, randomTexts, writeTokenizerFolder } from '../text/byte-level-fixtures.js';
import type { ReferenceForm } from '../text/byte-level-reference.js';

const DEFAULT_TOKENIZER = new URL('../../models/default/tokenizer.json', import.meta.url).pathname;

/** Runs the CLI in this process; returns stdout, failing the test on a non-zero exit. */
async function shorten(...args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await buildProgram().parseAsync(['node', 'shorten', ...args]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return out;
}

function calibrationText(dir: string): string {
  const path = join(dir, 'text.txt');
  const docs = randomTexts(24, 3).map((t) =>
    `${t} Once upon a time there was a little dog who ran.`.repeat(3),
  );
  writeFileSync(path, docs.join('\n\n'));
  return path;
}

/** info, score, prune, eval ppl and generate on `model`; returns the pruned model's path. */
async function everyCommand(model: string, dir: string, text: string, gguf: boolean): Promise<string> {
  const info = JSON.parse(await shorten('info', model, '--json')) as { config: { numLayers: number } };
  const L = info.config.numLayers;
  const calib = [
    '--calib',
    text,
    '--samples',
    '3',
    '--seq-len',
    '16',
    '--protect-first',
    '0',
    '--protect-last',
    '0',
  ];
  const scores = JSON.parse(await shorten('score', model, '--criterion', 'taylor', ...calib, '--json')) as {
    scores: { score: number }[];
  };
  assert.equal(scores.scores.length, L);
  assert.ok(scores.scores.every((s) => Number.isFinite(s.score) && s.score > 0));
  const out = join(dir, gguf ? 'pruned.gguf' : 'pruned');
  await shorten('prune', model, '--criterion', 'ppl', '--remove', '1', ...calib, '--out', out, '--json');
  assert.equal(loadModel(out).weights.config.numLayers, L - 1);
  const ppl = JSON.parse(await shorten('eval', 'ppl', out, '--text', text, '--seq-len', '16', '--json')) as {
    ppl: number;
  };
  assert.ok(Number.isFinite(ppl.ppl) && ppl.ppl > 1);
  const gen = JSON.parse(
    await shorten('generate', out, '--prompt', 'Once upon', '--max-new-tokens', '5', '--greedy', '--json'),
  ) as { tokens?: number[]; ids?: number[] };
  assert.ok((gen.tokens ?? gen.ids ?? []).length >= 5);
  return out;
}

const FORMS: [ModelForm, ReferenceForm][] = [
  ['llama3', 'llama3'],
  ['qwen2-yarn', 'qwen2'],
  ['qwen3', 'qwen2'],
  ['smollm', 'smollm'],
];

for (const [form, tokenizerForm] of FORMS) {
  test(`${form} folder and its GGUF: info, score, prune, eval ppl, generate`, async (t) => {
    const dir = tempDir(t);
    const fixture = byteLevelFixture(tokenizerForm, 200);
    const hf = join(dir, 'hf');
    const vocab = loadTokenizerJson(writeTokenizerFolder(join(dir, 'tok'), fixture)).vocabSize;
    writeFormFolder(hf, form, 4, 'bf16', { vocab_size: vocab, num_hidden_layers: 4 });
    writeTokenizerFolder(hf, fixture);
    const text = calibrationText(dir);
    const pruned = await everyCommand(hf, join(dir, 'hf-out'), text, false);
    // Written back as it came: the rope scaling, the class, the tying, the tokenizer files.
    const config = JSON.parse(readFileSync(join(pruned, 'config.json'), 'utf8')) as Record<string, unknown>;
    const original = formConfigJson(form);
    assert.deepEqual(config.architectures, original.architectures);
    assert.equal(config.tie_word_embeddings, original.tie_word_embeddings === true);
    assert.equal(
      (config.rope_scaling as { rope_type?: string } | null)?.rope_type ?? null,
      (original.rope_scaling as { rope_type?: string; type?: string } | null)?.rope_type ??
        (original.rope_scaling as { type?: string } | null)?.type ??
        null,
    );
    for (const file of ['tokenizer.json', 'tokenizer_config.json'])
      if (fixture.config || file === 'tokenizer.json')
        assert.deepEqual(readFileSync(join(pruned, file)), readFileSync(join(hf, file)), file);
    const gguf = join(dir, 'model.gguf');
    await shorten('convert', hf, '--to', 'gguf', '--out', gguf);
    await everyCommand(gguf, join(dir, 'gguf-out'), text, true);
  });
}

for (const type of GGML_QUANT_TYPES) {
  test(`a ${type.toUpperCase()} GGUF: info, score, prune (quantized out), eval ppl, generate`, async (t) => {
    const dir = tempDir(t);
    const tokenizer = loadTokenizerJson(DEFAULT_TOKENIZER);
    const w = syntheticLlama(
      {
        hiddenSize: 256,
        intermediateSize: 512,
        numLayers: 3,
        numHeads: 4,
        numKvHeads: 2,
        vocabSize: tokenizer.vocabSize,
      },
      { seed: 9, std: 0.05 },
    );
    const model = join(dir, `m-${type}.gguf`);
    writeGguf(model, castMatrices(w, type), { metadata: typedTokenizerKeys(tokenizer.toGgufMetadata()) });
    const info = JSON.parse(await shorten('info', model, '--json')) as { dtypes: Record<string, number> };
    assert.ok(info.dtypes[type] > 0, `info lists ${type}`);
    const pruned = await everyCommand(model, dir, calibrationText(dir), true);
    assert.ok(
      [...loadModel(pruned).weights.tensors.values()].some((x) => x.dtype === type),
      'the pruned file is still quantized',
    );
  });
}
