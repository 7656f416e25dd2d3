// Loads a Hugging Face tokenizer.json (a path or the parsed object), with tokenizer_config.json
// beside it, when present, for the special tokens and whether BOS/EOS are added.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { TokenizerFormatError } from './tokenizer-errors.js';
import { HuggingFaceTokenizer, buildHfTokenizer, isRecord, type TokenizerSettings } from './tokenizer-hf.js';

/** A special token in tokenizer_config.json: a string or an AddedToken object with `content`. */
function configTokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return null;
}

function resolveSpecialId(
  hf: HfTokenizer,
  config: Record<string, unknown>,
  field: string,
  fallbacks: string[],
  source: string,
): number | null {
  const named = configTokenContent(config[field]);
  if (named !== null) {
    const id = hf.token_to_id(named);
    if (id === undefined) {
      throw new TokenizerFormatError(
        source,
        `tokenizer_config.json ${field}`,
        `expected a token in the vocabulary, got ${JSON.stringify(named)}`,
      );
    }
    return id;
  }
  for (const candidate of fallbacks) {
    const id = hf.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  return null;
}

function readJsonFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TokenizerFormatError(path, '(file)', `expected readable JSON (${String(error)})`);
  }
  if (!isRecord(parsed)) throw new TokenizerFormatError(path, '(top level)', 'expected a JSON object');
  return parsed;
}

/**
 * Loads a Hugging Face tokenizer.json (a path or the parsed object). Special tokens come from
 * `config`, else from a tokenizer_config.json beside the file, else from the usual names (<s>, </s>).
 */
export function loadTokenizerJson(
  pathOrJson: string | object,
  config?: Record<string, unknown>,
): HuggingFaceTokenizer {
  let json: Record<string, unknown>;
  let source: string;
  let tokenizerConfig = config ?? {};
  if (typeof pathOrJson === 'string') {
    source = pathOrJson;
    json = readJsonFile(pathOrJson);
    const configPath = join(dirname(pathOrJson), 'tokenizer_config.json');
    if (config === undefined && existsSync(configPath)) tokenizerConfig = readJsonFile(configPath);
  } else {
    source = 'tokenizer.json object';
    if (!isRecord(pathOrJson)) throw new TokenizerFormatError(source, '(top level)', 'expected an object');
    json = pathOrJson;
  }
  if (!isRecord(json.model)) throw new TokenizerFormatError(source, 'model', 'expected an object');
  const hf = buildHfTokenizer(json, tokenizerConfig, source);
  const bosId = resolveSpecialId(
    hf,
    tokenizerConfig,
    'bos_token',
    ['<s>', '<|begin_of_text|>', '<|endoftext|>'],
    source,
  );
  const eosId = resolveSpecialId(
    hf,
    tokenizerConfig,
    'eos_token',
    ['</s>', '<|end_of_text|>', '<|endoftext|>'],
    source,
  );
  const padId = resolveSpecialId(hf, tokenizerConfig, 'pad_token', [], source);
  if (bosId === null)
    throw new TokenizerFormatError(
      source,
      'bos_token',
      'expected tokenizer_config.json bos_token or a <s> token',
    );
  if (eosId === null)
    throw new TokenizerFormatError(
      source,
      'eos_token',
      'expected tokenizer_config.json eos_token or a </s> token',
    );
  const settings: TokenizerSettings = {
    bosId,
    eosId,
    padId,
    addBosToken: tokenizerConfig.add_bos_token === undefined ? true : tokenizerConfig.add_bos_token === true,
    addEosToken: tokenizerConfig.add_eos_token === true,
  };
  return new HuggingFaceTokenizer(json, hf, tokenizerConfig, settings, source);
}
