// Opens a checkpoint together with its tokenizer: the one call every command starts from.
// The tokenizer comes from --tokenizer when given, else from the checkpoint itself (HF folder's
// tokenizer.json, GGUF's embedded vocabulary) or a tok*.bin / tokenizer.bin beside a llama2.c file.
// With an adapter folder, the PEFT LoRA adapter is folded into the weights.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadModel } from '../formats/load.js';
import type { LoadedModel } from '../formats/load.js';
import { LlamaInference } from '../model/inference.js';
import { loadLlama2cTokenizer, loadTokenizerJson, tokenizerFromGguf } from '../text/tokenizer.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { applyAdapter } from './apply-adapter.js';
import { plainTokenizerKeys } from './gguf-tokenizer-keys.js';

export interface OpenedModel extends LoadedModel {
  tokenizer: Tokenizer;
}

export function loadTokenizerFile(path: string, vocabSize?: number): Tokenizer {
  if (path.endsWith('.json') || existsSync(join(path, 'tokenizer.json')))
    return loadTokenizerJson(path.endsWith('.json') ? path : join(path, 'tokenizer.json'));
  return loadLlama2cTokenizer(path, vocabSize);
}

function tokenizerBeside(modelPath: string): string | null {
  const dir = dirname(modelPath);
  const names = readdirSync(dir);
  if (names.includes('tokenizer.bin')) return join(dir, 'tokenizer.bin');
  const tok = names.filter((n) => /^tok\d*\.bin$/.test(n) && n !== basename(modelPath)).sort();
  return tok.length === 1 ? join(dir, tok[0]) : null;
}

export function openModel(path: string, opts: { tokenizer?: string; adapter?: string } = {}): OpenedModel {
  const loaded = loadModel(path);
  const vocab = loaded.weights.config.vocabSize;
  let tokenizer: Tokenizer;
  if (opts.tokenizer) tokenizer = loadTokenizerFile(opts.tokenizer, vocab);
  else if (loaded.format === 'hf') tokenizer = loadTokenizerJson(join(path, 'tokenizer.json'));
  else if (loaded.format === 'gguf')
    tokenizer = tokenizerFromGguf(plainTokenizerKeys(loaded.ggufMetadata ?? new Map()), path);
  else {
    const beside = tokenizerBeside(path);
    if (!beside)
      throw new Error(
        `${path}: a llama2.c checkpoint holds no tokenizer; give one with --tokenizer (e.g. tok512.bin)`,
      );
    tokenizer = loadLlama2cTokenizer(beside, vocab);
  }
  if (tokenizer.vocabSize > vocab)
    throw new Error(
      `${path}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${vocab}`,
    );
  const opened = { ...loaded, tokenizer };
  return opts.adapter ? applyAdapter(opened, opts.adapter) : opened;
}

export function inferenceOf(m: LoadedModel): LlamaInference {
  return new LlamaInference(m.weights, m.source);
}
