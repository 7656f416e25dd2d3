// The one tokenizer interface the rest of shorten uses, whatever file the vocabulary came from
// (tokenizer.json, llama2.c tok*.bin, GGUF metadata), and the loaders that make one: the public
// entry point of the tokenizer layer.

export interface EncodeOptions {
  /** Prepend the beginning-of-sequence id (an error when the vocabulary has none). Default false. */
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
  /** The beginning-of-sequence token; null when the vocabulary has none (Qwen). */
  readonly bosId: number | null;
  readonly eosId: number;
  readonly padId: number | null;
  /**
   * Whether the tokenizer's own encoding puts BOS first (transformers' add_special_tokens=True,
   * llama.cpp's add_special): tokenizer_config.json's add_bos_token, else tokenizer.json's
   * post-processor, else the class default; GGUF's tokenizer.ggml.add_bos_token. Never true
   * without a BOS token.
   */
  readonly addBosToken: boolean;
  /** Whether the tokenizer's own encoding appends EOS. */
  readonly addEosToken: boolean;
  /** The folder of the tokenizer files it was read from (copied as they are when a model is written), or null. */
  readonly sourceFolder: string | null;
  /**
   * Token ids of `text`; adds no special tokens unless asked. Text that spells a special token
   * (`<s>`, `<|eot_id|>`) is encoded as text. The empty string gives [].
   */
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: number[], opts?: DecodeOptions): string;
  /** The vocabulary entry for `id`, as stored (SentencePiece pieces keep their `▁`, byte-level ones their `Ġ`). */
  tokenToPiece(id: number): string;
  /** The id of a vocabulary entry or added token (`<|im_end|>`), or null. */
  pieceToId(piece: string): number | null;
  /** A Hugging Face tokenizer.json object describing this tokenizer. */
  toTokenizerJson(): object;
  /** A tokenizer_config.json for toTokenizerJson(), as transformers expects it for this kind of tokenizer. */
  toTokenizerConfig(): Record<string, unknown>;
  /** The `tokenizer.ggml.*` GGUF metadata keys describing this tokenizer. */
  toGgufMetadata(): Record<string, unknown>;
}

export { TokenizerFormatError } from './tokenizer-errors.js';
export { loadTokenizerJson } from './tokenizer-json.js';
export { loadLlama2cTokenizer } from './tokenizer-llama2c.js';
export { tokenizerFromGguf } from './tokenizer-gguf.js';
export {
  describeStartToken,
  ownPrefix,
  promptIds,
  sequenceStartToken,
  withOwnSpecialTokens,
  type StartToken,
} from './sequence-start.js';
