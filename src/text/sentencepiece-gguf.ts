// The `tokenizer.ggml.*` keys of GGUF's 'llama' tokenizer model (SentencePiece BPE) for a
// tokenizer.json in the Llama-2 form: pieces, scores and token types recovered from the BPE model
// (or taken unchanged from the vocabulary it was converted from).

import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { addedTokensOf, isRecord, modelMerges } from './json-values.js';
import { sentencePieceVocabFromTokenizerJson } from './sentencepiece-tokenizer-json.js';
import type { SentencePieceVocab } from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import type { TokenizerSettings } from './tokenizer-special-tokens.js';

/** GGUF's 'llama' tokenizer model is SentencePiece BPE: only a BPE tokenizer.json with byte fallback maps onto it. */
function vocabOf(
  json: Record<string, unknown>,
  hf: HfTokenizer,
  settings: TokenizerSettings,
  source: string,
): SentencePieceVocab {
  const model = json.model;
  if (!isRecord(model) || model.type !== 'BPE' || model.byte_fallback !== true || !isRecord(model.vocab)) {
    throw new TokenizerFormatError(
      source,
      'model',
      "expected a BPE model with byte_fallback (the Llama SentencePiece form) to write tokenizer.ggml.model 'llama'",
    );
  }
  if (settings.bosId === null)
    throw new TokenizerFormatError(
      source,
      'bos_token',
      "expected a BOS token to write tokenizer.ggml.model 'llama' (SentencePiece vocabularies have one)",
    );
  return sentencePieceVocabFromTokenizerJson(
    {
      vocab: hf.get_vocab(true),
      merges: modelMerges(model),
      unkToken: typeof model.unk_token === 'string' ? model.unk_token : null,
    },
    addedTokensOf(json),
    { bosId: settings.bosId, eosId: settings.eosId, padId: settings.padId },
    source,
  );
}

export function sentencePieceGgufMetadata(
  json: Record<string, unknown>,
  hf: HfTokenizer,
  settings: TokenizerSettings,
  source: string,
  converted: SentencePieceVocab | null,
): Record<string, unknown> {
  const vocab = converted ?? vocabOf(json, hf, settings, source);
  const metadata: Record<string, unknown> = {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': [...vocab.pieces],
    'tokenizer.ggml.scores': [...vocab.scores],
    'tokenizer.ggml.token_type': [...vocab.types],
    'tokenizer.ggml.bos_token_id': vocab.bosId,
    'tokenizer.ggml.eos_token_id': vocab.eosId,
  };
  if (vocab.unkId !== null) metadata['tokenizer.ggml.unknown_token_id'] = vocab.unkId;
  if (vocab.padId !== null) metadata['tokenizer.ggml.padding_token_id'] = vocab.padId;
  metadata['tokenizer.ggml.add_bos_token'] = settings.addBosToken;
  metadata['tokenizer.ggml.add_eos_token'] = settings.addEosToken;
  if (settings.chatTemplate !== null) metadata['tokenizer.chat_template'] = settings.chatTemplate;
  return metadata;
}
