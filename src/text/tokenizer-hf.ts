// The Tokenizer implementation over @huggingface/tokenizers. Every vocabulary format ends here:
// tokenizer.json directly (SentencePiece-BPE or byte-level BPE), tok*.bin and GGUF vocabularies
// after conversion to the matching tokenizer.json form.

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { byteLevelGgufMetadata } from './byte-level-gguf.js';
import { addedTokensOf, isRecord, modelMerges } from './json-values.js';
import { sentencePieceGgufMetadata } from './sentencepiece-gguf.js';
import type { SentencePieceVocab } from './sentencepiece-vocab.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
import { generatedTokenizerConfig, type TokenizerKind } from './tokenizer-config-writer.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import { MergeBoundarySplitter } from './tokenizer-merge-boundaries.js';
import type { TokenizerSettings } from './tokenizer-special-tokens.js';
import { exactPreTokenizer } from './tokenizers-js-exact.js';

export type { TokenizerSettings } from './tokenizer-special-tokens.js';

/** Where a tokenizer came from. */
export interface TokenizerOrigin {
  /** Names the tokenizer in errors: a file path or a description. */
  source: string;
  /** The folder of the tokenizer.json it was read from, or null (GGUF, tok*.bin, an object). */
  folder: string | null;
  /** The SentencePiece vocabulary it was converted from, if any (its scores go into GGUF unchanged). */
  vocab: SentencePieceVocab | null;
}

/** Byte-level BPE (GPT-2, Llama 3, Qwen): a BPE model without byte fallback and a ByteLevel decoder. */
export function tokenizerKindOf(json: Record<string, unknown>): TokenizerKind {
  const model = json.model;
  const decoder = json.decoder;
  const byteLevelDecoder =
    isRecord(decoder) &&
    (decoder.type === 'ByteLevel' ||
      (decoder.type === 'Sequence' &&
        Array.isArray(decoder.decoders) &&
        decoder.decoders.some((d) => isRecord(d) && d.type === 'ByteLevel')));
  return isRecord(model) && model.type === 'BPE' && model.byte_fallback !== true && byteLevelDecoder
    ? 'byte-level'
    : 'sentencepiece';
}

export class HuggingFaceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number;
  readonly padId: number | null;
  readonly addBosToken: boolean;
  readonly addEosToken: boolean;
  readonly sourceFolder: string | null;
  readonly kind: TokenizerKind;
  /** Ids of tokenizer.json's added tokens marked special: what decode's skipSpecial drops. */
  private readonly specialIds: ReadonlySet<number>;
  /** Set when encoding may cut the text into words first (see tokenizer-merge-boundaries.ts). */
  private readonly splitter: MergeBoundarySplitter | null;
  /** Encoding must go through tokenizers.js's own encode (options that edit the text are set). */
  private readonly ownEncode: boolean;
  private readonly source: string;

  /** `json` is the tokenizer.json object `hf` was built from (see buildHfTokenizer). */
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly hf: HfTokenizer,
    private readonly config: Record<string, unknown>,
    private readonly settings: TokenizerSettings,
    private readonly origin: TokenizerOrigin,
  ) {
    this.source = origin.source;
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
        throw new TokenizerFormatError(
          this.source,
          field,
          `expected a token id in 0..${size - 1}, got ${id}`,
        );
      }
    }
    this.bosId = settings.bosId;
    this.eosId = settings.eosId;
    this.padId = settings.padId;
    this.addBosToken = settings.addBosToken && settings.bosId !== null;
    this.addEosToken = settings.addEosToken;
    this.sourceFolder = origin.folder;
    this.kind = tokenizerKindOf(json);
    this.specialIds = new Set(
      addedTokensOf(json)
        .filter((t) => t.special)
        .map((t) => t.id),
    );
    this.splitter = mergeBoundarySplitterFor(json, hf);
    this.ownEncode = config.remove_space === true || config.do_lowercase_and_remove_accent === true;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = text.length === 0 ? [] : this.encodeText(text);
    if (!ids.every((id): id is number => id !== undefined)) {
      throw new Error(
        `${this.source}: encode: text has a character with no token and the vocabulary has no unknown token`,
      );
    }
    if (opts.bos && this.bosId === null)
      throw new Error(
        `${this.source}: encode: asked for a BOS token, but the vocabulary has none (see sequenceStartToken)`,
      );
    return [...(opts.bos ? [this.bosId as number] : []), ...ids, ...(opts.eos ? [this.eosId] : [])];
  }

  /**
   * What tokenizers.js's encode does for text holding no added token: normalizer, pre-tokenizer,
   * model. Calling the parts directly keeps added tokens (<|eot_id|>, <s>) written in the text as
   * text, as llama.cpp's tokenizer does without parse_special.
   */
  private encodeText(text: string): (number | undefined)[] {
    const model = this.hf.model;
    if (this.ownEncode || model === null) return this.hf.encode(text, { add_special_tokens: false }).ids;
    const normalized = this.hf.normalizer === null ? text : this.hf.normalizer(text);
    let words: string[];
    if (this.splitter !== null) words = this.splitter.split(normalized);
    else if (this.hf.pre_tokenizer !== null) words = this.hf.pre_tokenizer(normalized, { section_index: 0 });
    else words = [normalized];
    return model(words).map((token: string) => model.tokens_to_ids.get(token) ?? model.unk_token_id);
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

  pieceToId(piece: string): number | null {
    return this.hf.token_to_id(piece) ?? null;
  }

  toTokenizerJson(): object {
    return structuredClone(this.json);
  }

  toTokenizerConfig(): Record<string, unknown> {
    const model = this.json.model;
    const unk = isRecord(model) && typeof model.unk_token === 'string' ? model.unk_token : null;
    const piece = (id: number | null): string | null => (id === null ? null : this.tokenToPiece(id));
    return generatedTokenizerConfig({
      kind: this.kind,
      bosToken: piece(this.bosId),
      eosToken: this.tokenToPiece(this.eosId),
      padToken: piece(this.padId),
      unkToken: unk,
      addBosToken: this.addBosToken,
      addEosToken: this.addEosToken,
      cleanUpSpaces: this.config.clean_up_tokenization_spaces === true,
      chatTemplate: this.settings.chatTemplate,
    });
  }

  toGgufMetadata(): Record<string, unknown> {
    const settings = { ...this.settings, addBosToken: this.addBosToken };
    if (this.kind === 'byte-level')
      return byteLevelGgufMetadata(this.json, this.hf.get_vocab(true), this.vocabSize, settings, this.source);
    return sentencePieceGgufMetadata(this.json, this.hf, settings, this.source, this.origin.vocab);
  }
}

/**
 * A splitter when encoding can cut the text into words without changing the result: a BPE model
 * with no word suffixes, no pre-tokenizer, no config that edits text.
 */
function mergeBoundarySplitterFor(
  json: Record<string, unknown>,
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
    hf.pre_tokenizer === null;
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
 * Only the added tokens that the model's vocabulary lacks (Llama 3's <|begin_of_text|>, Qwen's
 * <|im_start|>; without them their ids could not be decoded) are given to it; encoding never cuts
 * them out of text (see HuggingFaceTokenizer.encodeText). The pre-tokenizer it gets is rewritten
 * where tokenizers.js would differ from the Rust library (tokenizers-js-exact.ts).
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
    const hf = new HfTokenizer(
      { ...json, added_tokens: addedTokens, pre_tokenizer: exactPreTokenizer(json.pre_tokenizer) },
      hfConfig,
    );
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
