// The tokenizer_config.json shorten writes beside a tokenizer.json it generated (a model read from
// GGUF or llama2.c, a trained tokenizer), as transformers expects it for each kind: the
// SentencePiece (Llama 2) form loads as LlamaTokenizerFast, which honours add_bos_token itself; the
// byte-level form as PreTrainedTokenizerFast, whose tokenizer.json post-processor adds BOS or not.

export type TokenizerKind = 'sentencepiece' | 'byte-level';

export interface TokenizerConfigFields {
  kind: TokenizerKind;
  /** Token contents, null where the tokenizer has none. */
  bosToken: string | null;
  eosToken: string;
  padToken: string | null;
  unkToken: string | null;
  addBosToken: boolean;
  addEosToken: boolean;
  cleanUpSpaces: boolean;
  chatTemplate: string | null;
  /** Omitted when unknown (a tokenizer trained on its own, without a model). */
  modelMaxLength?: number;
}

export function generatedTokenizerConfig(f: TokenizerConfigFields): Record<string, unknown> {
  const config: Record<string, unknown> = {
    tokenizer_class: f.kind === 'sentencepiece' ? 'LlamaTokenizerFast' : 'PreTrainedTokenizerFast',
    bos_token: f.bosToken,
    eos_token: f.eosToken,
  };
  if (f.padToken !== null) config.pad_token = f.padToken;
  if (f.unkToken !== null && f.kind === 'sentencepiece') config.unk_token = f.unkToken;
  config.add_bos_token = f.addBosToken;
  config.add_eos_token = f.addEosToken;
  config.clean_up_tokenization_spaces = f.cleanUpSpaces;
  if (f.modelMaxLength !== undefined) config.model_max_length = f.modelMaxLength;
  if (f.chatTemplate !== null) config.chat_template = f.chatTemplate;
  return config;
}
