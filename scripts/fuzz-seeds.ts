// The intact files the fuzzer damages: the real fixtures (SHORTEN_FIXTURES, default
// ../shared/fixtures) where they are, else files the project makes itself: a random model of
// stories260K's shape with the default model's tokenizer, written by our own writers, a tok.bin of
// that tokenizer's pieces, and task rows in PIQA's shape. Either way every loader gets a seed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STORIES260K_SHAPE, syntheticLlama } from '../src/bench/synthetic-model.js';
import { loadModel, saveModel } from '../src/formats/load.js';
import type { ModelWeights } from '../src/model/weights.js';
import { DEFAULT_MODEL_DIR } from '../src/pipeline/default-model.js';
import { saveModelWithTokenizer } from '../src/pipeline/save-model.js';
import { loadLlama2cTokenizer, loadTokenizerJson } from '../src/text/tokenizer.js';
import type { Tokenizer } from '../src/text/tokenizer.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = resolve(process.env.SHORTEN_FIXTURES ?? join(ROOT, '../shared/fixtures'));
const STORIES_BIN = join(FIXTURES, 'models/stories260K/stories260K.bin');
const STORIES_GGUF = join(FIXTURES, 'models/stories260K/stories260K.gguf');
const TOK512 = join(FIXTURES, 'models/stories260K/tok512.bin');
const PIQA = join(FIXTURES, 'tasks/piqa.jsonl');

/** Where the seeds come from, for the fuzzer's report. */
export const SEED_SOURCE = existsSync(STORIES_BIN) ? FIXTURES : 'project-made files (no fixtures found)';

function seedTokenizer(): Tokenizer {
  return existsSync(TOK512)
    ? loadLlama2cTokenizer(TOK512)
    : loadTokenizerJson(join(DEFAULT_MODEL_DIR, 'tokenizer.json'));
}

/** stories260K's weights, or a seeded random model of its shape. */
export function seedWeights(): ModelWeights {
  if (existsSync(STORIES_BIN)) return loadModel(STORIES_BIN).weights;
  return syntheticLlama(STORIES260K_SHAPE, { seed: 260, std: 0.08 });
}

export function writeSeedGguf(path: string): void {
  if (existsSync(STORIES_GGUF)) writeFileSync(path, readFileSync(STORIES_GGUF));
  else saveModelWithTokenizer(seedWeights(), seedTokenizer(), path, 'gguf');
}

export function writeSeedLlama2c(path: string): void {
  if (existsSync(STORIES_BIN)) writeFileSync(path, readFileSync(STORIES_BIN));
  else saveModel(seedWeights(), path, 'llama2c');
}

export function seedTokenizerJson(): unknown {
  return seedTokenizer().toTokenizerJson();
}

/** tok512.bin, or the same layout (max length; per piece: f32 score, i32 length, bytes) for the default tokenizer. */
export function writeSeedTokBin(path: string): void {
  if (existsSync(TOK512)) return writeFileSync(path, readFileSync(TOK512));
  const t = seedTokenizer();
  const pieces = Array.from({ length: t.vocabSize }, (_, id) => Buffer.from(t.tokenToPiece(id), 'utf8'));
  const parts = [Buffer.from(new Int32Array([Math.max(...pieces.map((p) => p.length))]).buffer)];
  pieces.forEach((bytes, id) => {
    const header = Buffer.alloc(8);
    header.writeFloatLE(-id, 0);
    header.writeInt32LE(bytes.length, 4);
    parts.push(header, bytes);
  });
  writeFileSync(path, Buffer.concat(parts));
}

/** The first 24 PIQA rows, or 24 rows of its shape. */
export function seedTaskRows(): string {
  if (existsSync(PIQA)) return readFileSync(PIQA, 'utf8').split('\n').slice(0, 24).join('\n') + '\n';
  const rows = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({
      query: `How do you open jar ${i}?`,
      choices: ['Twist the lid.', 'Paint the lid.'],
      gold: i % 2,
    }),
  );
  return rows.join('\n') + '\n';
}
