// The Tokenizer implementation over @huggingface/tokenizers. Every vocabulary format ends here:
// tokenizer.json directly, SentencePiece-BPE vocabularies after conversion to the Llama-2 form.

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { sentencePieceVocabFromTokenizerJson } from './sentencepiece-tokenizer-json.js';
import type { SentencePieceVocab } from './sentencepiece-vocab.js';
import { MergeBoundarySplitter } from './tokenizer-merge-boundaries.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
import { TokenizerFormatError } from './tokenizer-errors.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
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
  /** Ids of tokenizer.json's added tokens marked special: what decode's skipSpecial drops. */
  private readonly specialIds: ReadonlySet<number>;
  /** Set when encoding may bypass tokenizers.js's own pipeline (see tokenizer-merge-boundaries.ts). */
  private readonly splitter: MergeBoundarySplitter | null;

  /**
   * `json` is the tokenizer.json object `hf` was built from (see buildHfTokenizer), `vocab` the
   * SentencePiece vocabulary `json` was converted from, when there was one (its scores then go
   * into GGUF metadata unchanged).
   */
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly hf: HfTokenizer,
    config: Record<string, unknown>,
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
    const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
    this.specialIds = new Set(
      added
        .filter((t: unknown) => isRecord(t) && t.special === true)
        .map((t: Record<string, unknown>) => Number(t.id)),
    );
    this.splitter = mergeBoundarySplitterFor(json, config, hf);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = text.length === 0 ? [] : this.encodeText(text);
    if (!ids.every((id): id is number => id !== undefined)) {
      throw new Error(
        `${this.source}: encode: text has a character with no token and the vocabulary has no unknown token`,
      );
    }
    return [...(opts.bos ? [this.bosId] : []), ...ids, ...(opts.eos ? [this.eosId] : [])];
  }

  private encodeText(text: string): (number | undefined)[] {
    const model = this.hf.model;
    if (this.splitter === null || model === null)
      return this.hf.encode(text, { add_special_tokens: false }).ids;
    // What tokenizers.js's encode does when there are no added tokens and no pre-tokenizer, with the
    // normalized text cut into words first.
    const normalized = this.hf.normalizer === null ? text : this.hf.normalizer(text);
    return model(this.splitter.split(normalized)).map(
      (token: string) => model.tokens_to_ids.get(token) ?? model.unk_token_id,
    );
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(
          `${this.source}: decode: expected token ids in 0..${this.vocabSize - 1}, got ${id}`,
        );
      }
    }
    const kept = opts.skipSpecial ? ids.filter((id) => !this.specialIds.has(id)) : ids;
    // tokenizers.js refuses an empty id list.
    return kept.length === 0 ? '' : this.hf.decode(kept);
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
    const merges = modelMerges(model);
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

/** BPE merges of a tokenizer.json model, in either of the two forms tokenizer.json uses. */
function modelMerges(model: Record<string, unknown>): [string, string][] {
  const merges: [string, string][] = [];
  for (const merge of Array.isArray(model.merges) ? model.merges : []) {
    if (typeof merge === 'string') {
      const [left, right] = merge.split(' ', 2);
      merges.push([left, right ?? '']);
    } else if (Array.isArray(merge) && typeof merge[0] === 'string' && typeof merge[1] === 'string') {
      merges.push([merge[0], merge[1]]);
    }
  }
  return merges;
}

/**
 * A splitter when encoding can cut the text into words without changing the result: a BPE model
 * with no word suffixes, no pre-tokenizer, no added tokens to cut out, no config that edits text.
 */
function mergeBoundarySplitterFor(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  hf: HfTokenizer,
): MergeBoundarySplitter | null {
  const model = json.model;
  const plain =
    isRecord(model) &&
    model.type === 'BPE' &&
    model.ignore_merges !== true &&
    (model.end_of_word_suffix ?? null) === null &&
    (model.continuing_subword_suffix ?? null) === null &&
    (json.pre_tokenizer ?? null) === null &&
    hf.get_added_tokens_decoder().size === 0 &&
    config.remove_space !== true &&
    config.do_lowercase_and_remove_accent !== true;
  return plain ? new MergeBoundarySplitter(modelMerges(model)) : null;
}

/** The pieces a tokenizer.json model stores: BPE/WordPiece `vocab` objects or Unigram `[piece, score]` lists. */
function modelPieces(model: unknown): Set<string> {
  const pieces = new Set<string>();
  if (!isRecord(model)) return pieces;
  if (isRecord(model.vocab)) for (const piece of Object.keys(model.vocab)) pieces.add(piece);
  if (Array.isArray(model.vocab)) {
    for (const entry of model.vocab)
      if (Array.isArray(entry) && typeof entry[0] === 'string') pieces.add(entry[0]);
  }
  return pieces;
}

/** Token ids bound a vocabulary's size (and so allocations): each must be an integer in [0, 2^31). */
function checkTokenIds(json: Record<string, unknown>, source: string): void {
  const model = json.model;
  const valid = (id: unknown): boolean =>
    Number.isInteger(id) && (id as number) >= 0 && (id as number) < 2 ** 31;
  if (isRecord(model) && isRecord(model.vocab))
    for (const [piece, id] of Object.entries(model.vocab))
      if (!valid(id))
        throw new TokenizerFormatError(
          source,
          `model.vocab[${JSON.stringify(piece).slice(0, 80)}]`,
          `expected a token id, an integer in [0, 2^31) (got ${JSON.stringify(id)?.slice(0, 80)})`,
        );
  if (Array.isArray(json.added_tokens))
    json.added_tokens.forEach((token: unknown, i) => {
      if (isRecord(token) && !valid(token.id))
        throw new TokenizerFormatError(
          source,
          `added_tokens[${i}].id`,
          `expected a token id, an integer in [0, 2^31) (got ${JSON.stringify(token.id)?.slice(0, 80)})`,
        );
    });
}

/**
 * Builds the @huggingface/tokenizers instance, turning its complaints into a TokenizerFormatError.
 * tokenizers.js cuts every added token out of the input text before encoding (so a literal "<s>"
 * in text became BOS, and the text after it got a second dummy prefix). Encoding here treats text
 * as text, as run.c and llama.cpp do, so only added tokens that the model's vocabulary lacks (and
 * without which their ids could not be decoded) are given to it.
 */
export function buildHfTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  source: string,
): HfTokenizer {
  checkTokenIds(json, source);
  const inModel = modelPieces(json.model);
  const addedTokens = (Array.isArray(json.added_tokens) ? json.added_tokens : []).filter(
    (token: unknown) => isRecord(token) && typeof token.content === 'string' && !inModel.has(token.content),
  );
  // tokenizers.js defaults clean_up_tokenization_spaces to true, which rewrites " ." to "." on decode.
  const hfConfig = { ...config, clean_up_tokenization_spaces: config.clean_up_tokenization_spaces ?? false };
  try {
    const hf = new HfTokenizer({ ...json, added_tokens: addedTokens }, hfConfig);
    // tokenizers.js checks a pipeline's parts only when they run (a null decoder step fails on the
    // first decode), so run them once here, where a failure can still name the file.
    hf.decode(hf.encode('Hello, world 1.', { add_special_tokens: false }).ids);
    return hf;
  } catch (error) {
    throw new TokenizerFormatError(
      source,
      'tokenizer.json',
      `expected a tokenizer @huggingface/tokenizers accepts (${String(error)})`,
    );
  }
}
