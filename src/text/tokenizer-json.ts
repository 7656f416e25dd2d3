// Loads a Hugging Face tokenizer.json (a path or the parsed object), with the files beside it that
// say what tokenizer.json cannot (tokenizer_config.json, special_tokens_map.json, the chat
// template): the special tokens, whether the tokenizer's own encoding adds BOS/EOS, the template.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isRecord } from './json-values.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import { HuggingFaceTokenizer, buildHfTokenizer } from './tokenizer-hf.js';
import { resolveTokenizerSettings, type TokenizerSideFiles } from './tokenizer-special-tokens.js';

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

/** The side files in `folder`, each {} / null when absent. */
function readSideFiles(folder: string): TokenizerSideFiles {
  const json = (name: string): Record<string, unknown> =>
    existsSync(join(folder, name)) ? readJsonFile(join(folder, name)) : {};
  let chatTemplateFile: string | null = null;
  const jinja = join(folder, 'chat_template.jinja');
  if (existsSync(jinja)) chatTemplateFile = readFileSync(jinja, 'utf8');
  else {
    const template = json('chat_template.json').chat_template;
    if (typeof template === 'string') chatTemplateFile = template;
  }
  return {
    config: json('tokenizer_config.json'),
    specialTokensMap: json('special_tokens_map.json'),
    chatTemplateFile,
  };
}

/**
 * Loads a Hugging Face tokenizer.json (a path or the parsed object). `config` stands for
 * tokenizer_config.json; without it, the files beside a path are read. Special tokens absent from
 * both come from tokenizer.json's post-processor, then from the usual names (<s>, </s>, ...).
 */
export function loadTokenizerJson(
  pathOrJson: string | object,
  config?: Record<string, unknown>,
): HuggingFaceTokenizer {
  let json: Record<string, unknown>;
  let source: string;
  let folder: string | null = null;
  let side: TokenizerSideFiles = { config: config ?? {}, specialTokensMap: {}, chatTemplateFile: null };
  if (typeof pathOrJson === 'string') {
    source = pathOrJson;
    json = readJsonFile(pathOrJson);
    folder = dirname(pathOrJson);
    if (config === undefined) side = readSideFiles(folder);
  } else {
    source = 'tokenizer.json object';
    if (!isRecord(pathOrJson)) throw new TokenizerFormatError(source, '(top level)', 'expected an object');
    json = pathOrJson;
  }
  if (!isRecord(json.model)) throw new TokenizerFormatError(source, 'model', 'expected an object');
  const hf = buildHfTokenizer(json, side.config, source);
  const settings = resolveTokenizerSettings(hf, json, side, source);
  return new HuggingFaceTokenizer(json, hf, side.config, settings, { source, folder, vocab: null });
}
