// Models the project makes itself, for tests that must run on any clone: the embedded default model
// (TinyStories-trained, 12 blocks, bf16, HF folder), its conversions by our own writers, and a
// random model shaped like the stories260K fixture (5 blocks, 64 wide, vocabulary 512) that
// carries the default model's tokenizer, so pipeline tests stay as fast as on the fixture.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STORIES260K_SHAPE, syntheticLlama } from '../../src/bench/synthetic-model.js';
import type { WeightTensor } from '../../src/model/weights.js';
import { bf16ToF32, f16ToF32 } from '../../src/native/index.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';
import { openModel } from '../../src/pipeline/open-model.js';
import type { OpenedModel } from '../../src/pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_MODEL = join(ROOT, 'models/default');
export const DEFAULT_TOKENIZER = join(DEFAULT_MODEL, 'tokenizer.json');

export interface ModelFiles {
  hf: string;
  gguf: string;
  /** A llama2.c checkpoint; it holds no tokenizer, so open it with `{ tokenizer }`. */
  bin: string;
  tokenizer: string;
}

/** Writes `opened` as an HF folder, a GGUF and a llama2.c .bin under `dir`, each through our own writers. */
function writeEveryFormat(opened: OpenedModel, dir: string, name: string): ModelFiles {
  mkdirSync(dir, { recursive: true });
  const files = {
    hf: join(dir, `${name}-hf`),
    gguf: join(dir, `${name}.gguf`),
    bin: join(dir, `${name}.bin`),
    tokenizer: join(dir, `${name}-hf`, 'tokenizer.json'),
  };
  saveModelWithTokenizer(opened.weights, opened.tokenizer, files.hf, 'hf');
  saveModelWithTokenizer(opened.weights, opened.tokenizer, files.gguf, 'gguf');
  saveModelWithTokenizer(opened.weights, null, files.bin, 'llama2c');
  return files;
}

/**
 * The default model with its bf16 weights widened to f32 (exactly), so checks against a float64
 * reference see f32 kernels: the bf16 kernels may round activations to bf16 on CPUs with AVX-512 BF16.
 */
export function openDefaultModelF32(): OpenedModel {
  const m = openModel(DEFAULT_MODEL);
  const widen = (t: WeightTensor): WeightTensor =>
    t.dtype === 'f32'
      ? t
      : {
          dtype: 'f32',
          shape: t.shape,
          data: t.dtype === 'bf16' ? bf16ToF32(t.data as Uint16Array) : f16ToF32(t.data as Uint16Array),
        };
  const tensors = new Map([...m.weights.tensors].map(([name, t]) => [name, widen(t)]));
  return { ...m, weights: { ...m.weights, tensors } };
}

/** The default model, widened to f32, converted to every format under `dir`. */
export function defaultModelFiles(dir: string): ModelFiles {
  return writeEveryFormat(openDefaultModelF32(), dir, 'default');
}

/**
 * A seeded random model of stories260K's shape (dim 64, MLP 172, 5 blocks, 8 heads, 4 KV heads,
 * vocabulary 512, context 512, tied classifier: 260,032 parameters, as the fixture) with the
 * default model's tokenizer.
 */
export function smallTwin(seed = 260): OpenedModel {
  const weights = syntheticLlama(STORIES260K_SHAPE, { seed, std: 0.08, normJitter: 0.1 });
  return { weights, tokenizer: loadTokenizerJson(DEFAULT_TOKENIZER), format: 'hf', source: 'small twin' };
}

/** The small twin in every format under `dir`. */
export function smallTwinFiles(dir: string, seed = 260): ModelFiles {
  return writeEveryFormat(smallTwin(seed), dir, 'twin');
}
