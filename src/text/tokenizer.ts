// The one tokenizer interface the rest of shorten uses, whatever file the vocabulary came from
// (tokenizer.json, llama2.c tok*.bin, GGUF metadata), and the loaders that make one: the public
// entry point of the tokenizer layer.

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

export { TokenizerFormatError } from './tokenizer-errors.js';
export { loadTokenizerJson } from './tokenizer-json.js';
export { loadLlama2cTokenizer } from './tokenizer-llama2c.js';
export { tokenizerFromGguf } from './tokenizer-gguf.js';
