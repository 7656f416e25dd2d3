// The Tokenizer implementation over @huggingface/tokenizers, and the loader for tokenizer.json
// (with tokenizer_config.json beside it for the special tokens). Every vocabulary format ends here:
// SentencePiece-BPE vocabularies are first converted to a Llama-2-form tokenizer.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { sentencePieceVocabFromTokenizerJson } from './sentencepiece-tokenizer-json.js';
import type { SentencePieceVocab } from './sentencepiece-vocab.js';
import { TokenizerFormatError, type DecodeOptions, type EncodeOptions, type Tokenizer } from './tokenizer.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the tokenizer needs beyond tokenizer.json: special ids and how GGUF should describe BOS/EOS use. */
export interface TokenizerSettings {
  bosId: number;
  eosId: number;
  padId: number | null;
  addBosToken: boolean;
  addEosToken: boolean;
}

export class HuggingFaceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number | null;

  /**
   * `json` is the tokenizer.json object `hf` was built from (see buildHfTokenizer), `vocab` the
   * SentencePiece vocabulary `json` was converted from, when there was one (its scores then go
   * into GGUF metadata unchanged).
   */
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly hf: HfTokenizer,
    private readonly settings: TokenizerSettings,
    private readonly source: string,
    private readonly vocab: SentencePieceVocab | null = null,
  ) {
    let size = 0;
    for (const id of this.hf.get_vocab(true).values()) size = Math.max(size, id + 1);
    this.vocabSize = size;
    const ids: [string, number | null][] = [
      ['bos token', settings.bosId],
      ['eos token', settings.eosId],
      ['pad token', settings.padId],
    ];
    for (const [field, id] of ids) {
      if (id !== null && (!Number.isInteger(id) || id < 0 || id >= size)) {
        throw new TokenizerFormatError(source, field, `expected a token id in 0..${size - 1}, got ${id}`);
      }
    }
    this.bosId = settings.bosId;
    this.eosId = settings.eosId;
    this.padId = settings.padId;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: (number | undefined)[] =
      text.length === 0 ? [] : this.hf.encode(text, { add_special_tokens: false }).ids;
    if (!ids.every((id): id is number => id !== undefined)) {
      throw new Error(
        `${this.source}: encode: text has a character with no token and the vocabulary has no unknown token`,
      );
    }
    return [...(opts.bos ? [this.bosId] : []), ...ids, ...(opts.eos ? [this.eosId] : [])];
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(
          `${this.source}: decode: expected token ids in 0..${this.vocabSize - 1}, got ${id}`,
        );
      }
    }
    // tokenizers.js refuses an empty id list.
    if (ids.length === 0) return '';
    return this.hf.decode(ids, { skip_special_tokens: opts.skipSpecial ?? false });
  }

  tokenToPiece(id: number): string {
    const piece = Number.isInteger(id) ? this.hf.id_to_token(id) : undefined;
    if (piece === undefined) {
      throw new RangeError(
        `${this.source}: tokenToPiece: expected a token id in 0..${this.vocabSize - 1}, got ${id}`,
      );
    }
    return piece;
  }

  toTokenizerJson(): object {
    return structuredClone(this.json);
  }

  toGgufMetadata(): Record<string, unknown> {
    const vocab = this.vocab ?? this.sentencePieceVocab();
    const metadata: Record<string, unknown> = {
      'tokenizer.ggml.model': 'llama',
      'tokenizer.ggml.tokens': [...vocab.pieces],
      'tokenizer.ggml.scores': [...vocab.scores],
      'tokenizer.ggml.token_type': [...vocab.types],
      'tokenizer.ggml.bos_token_id': this.bosId,
      'tokenizer.ggml.eos_token_id': this.eosId,
    };
    if (vocab.unkId !== null) metadata['tokenizer.ggml.unknown_token_id'] = vocab.unkId;
    if (this.padId !== null) metadata['tokenizer.ggml.padding_token_id'] = this.padId;
    metadata['tokenizer.ggml.add_bos_token'] = this.settings.addBosToken;
    metadata['tokenizer.ggml.add_eos_token'] = this.settings.addEosToken;
    return metadata;
  }

  /** GGUF's 'llama' tokenizer model is SentencePiece BPE: only a BPE tokenizer.json with byte fallback maps onto it. */
  private sentencePieceVocab(): SentencePieceVocab {
    const model = this.json.model;
    if (!isRecord(model) || model.type !== 'BPE' || model.byte_fallback !== true || !isRecord(model.vocab)) {
      throw new TokenizerFormatError(
        this.source,
        'model',
        "expected a BPE model with byte_fallback (the Llama SentencePiece form) to write tokenizer.ggml.model 'llama'",
      );
    }
    const merges: [string, string][] = [];
    for (const merge of Array.isArray(model.merges) ? model.merges : []) {
      if (typeof merge === 'string') {
        const [left, right] = merge.split(' ', 2);
        merges.push([left, right ?? '']);
      } else if (Array.isArray(merge) && typeof merge[0] === 'string' && typeof merge[1] === 'string') {
        merges.push([merge[0], merge[1]]);
      }
    }
    const added = Array.isArray(this.json.added_tokens) ? this.json.added_tokens : [];
    const addedTokens = added.filter(isRecord).map((t) => ({
      id: Number(t.id),
      content: String(t.content),
      special: t.special === true,
    }));
    return sentencePieceVocabFromTokenizerJson(
      {
        vocab: this.hf.get_vocab(true),
        merges,
        unkToken: typeof model.unk_token === 'string' ? model.unk_token : null,
      },
      addedTokens,
      this.settings,
      this.source,
    );
  }
}

/** Builds the @huggingface/tokenizers instance, turning its complaints into a TokenizerFormatError. */
export function buildHfTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  source: string,
): HfTokenizer {
  // tokenizers.js defaults clean_up_tokenization_spaces to true, which rewrites " ." to "." on decode.
  const hfConfig = { ...config, clean_up_tokenization_spaces: config.clean_up_tokenization_spaces ?? false };
  try {
    return new HfTokenizer({ added_tokens: [], ...json }, hfConfig);
  } catch (error) {
    throw new TokenizerFormatError(
      source,
      'tokenizer.json',
      `expected a tokenizer @huggingface/tokenizers accepts (${String(error)})`,
    );
  }
}

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
  return new HuggingFaceTokenizer(json, hf, settings, source);
}
