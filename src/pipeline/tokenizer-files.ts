// The tokenizer files an HF folder gets beside a model: those of the folder the tokenizer was read
// from, byte for byte, or, for a tokenizer from GGUF or llama2.c, a generated tokenizer.json and
// tokenizer_config.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '../text/tokenizer.js';

/** The tokenizer files transformers (and convert_hf_to_gguf.py) read from a model folder. */
export const TOKENIZER_FILE_NAMES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
  'chat_template.json',
];

/** Those of TOKENIZER_FILE_NAMES present in `folder`, as read. */
export function copiedTokenizerFiles(folder: string): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILE_NAMES) {
    const path = join(folder, name);
    if (!existsSync(path)) continue;
    try {
      files[name] = readFileSync(path);
    } catch (error) {
      throw new Error(`${path}: cannot read the tokenizer file to copy it (${(error as Error).message})`);
    }
  }
  return files;
}

/** tokenizer.json and tokenizer_config.json describing `tokenizer`, for a model of `maxSeqLen` positions. */
export function generatedTokenizerFiles(tokenizer: Tokenizer, maxSeqLen: number): Record<string, string> {
  return {
    'tokenizer.json': JSON.stringify(tokenizer.toTokenizerJson(), null, 2),
    'tokenizer_config.json': JSON.stringify(
      { ...tokenizer.toTokenizerConfig(), model_max_length: maxSeqLen },
      null,
      2,
    ),
  };
}

/** The files for an HF folder: copied from the tokenizer's own folder when it has one there, else generated. */
export function tokenizerFilesFor(
  tokenizer: Tokenizer,
  maxSeqLen: number,
): Record<string, string | Uint8Array> {
  const folder = tokenizer.sourceFolder;
  if (folder !== null && existsSync(join(folder, 'tokenizer.json'))) return copiedTokenizerFiles(folder);
  return generatedTokenizerFiles(tokenizer, maxSeqLen);
}
