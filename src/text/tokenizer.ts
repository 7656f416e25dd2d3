// The one tokenizer interface the rest of shorten uses, whatever file the vocabulary came from
// (tokenizer.json, llama2.c tok*.bin, GGUF metadata), and the error its loaders throw.

export interface EncodeOptions {
  /** Prepend the beginning-of-sequence id. Default false. */
  bos?: boolean;
  /** Append the end-of-sequence id. Default false. */
  eos?: boolean;
}

export interface DecodeOptions {
  /** Drop special (control / unknown) tokens before decoding. Default false. */
  skipSpecial?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number | null;
  /** Token ids of `text`; adds no special tokens unless asked. The empty string gives []. */
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: number[], opts?: DecodeOptions): string;
  /** The vocabulary entry for `id`, as stored (SentencePiece pieces keep their `▁`). */
  tokenToPiece(id: number): string;
  /** A Hugging Face tokenizer.json object describing this tokenizer. */
  toTokenizerJson(): object;
  /** The `tokenizer.ggml.*` GGUF metadata keys describing this tokenizer. */
  toGgufMetadata(): Record<string, unknown>;
}

/** A tokenizer file or object that cannot be used; the message names the source, the field and the expectation. */
export class TokenizerFormatError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly expectation: string,
  ) {
    super(`${source}: ${field}: ${expectation}`);
    this.name = 'TokenizerFormatError';
  }
}
