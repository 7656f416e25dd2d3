// Builds a Tokenizer from a SentencePiece-BPE vocabulary (tok*.bin, GGUF): validate, convert to a
// Llama-2-form tokenizer.json, and encode/decode through @huggingface/tokenizers.

import { llamaTokenizerJsonFromVocab } from './sentencepiece-tokenizer-json.js';
import { validateSentencePieceVocab, type SentencePieceVocab } from './sentencepiece-vocab.js';
import { HuggingFaceTokenizer, buildHfTokenizer } from './tokenizer-hf.js';

export interface SentencePieceFlags {
  addBosToken: boolean;
  addEosToken: boolean;
  chatTemplate: string | null;
}

export function tokenizerFromSentencePieceVocab(
  vocab: SentencePieceVocab,
  source: string,
  flags: SentencePieceFlags = { addBosToken: true, addEosToken: false, chatTemplate: null },
): HuggingFaceTokenizer {
  validateSentencePieceVocab(vocab, source);
  const json = llamaTokenizerJsonFromVocab(vocab);
  const config = {
    bos_token: vocab.pieces[vocab.bosId],
    eos_token: vocab.pieces[vocab.eosId],
    clean_up_tokenization_spaces: false,
  };
  const hf = buildHfTokenizer(json, config, source);
  const settings = { bosId: vocab.bosId, eosId: vocab.eosId, padId: vocab.padId, ...flags };
  return new HuggingFaceTokenizer(json, hf, config, settings, { source, folder: null, vocab });
}
