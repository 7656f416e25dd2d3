// Writes a trained BPE vocabulary as tokenizer.json (Llama-2 form) plus tokenizer_config.json,
// the same pair of files an HF model folder from saveModelWithTokenizer carries.

import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { llamaTokenizerJsonFromVocab } from './sentencepiece-tokenizer-json.js';
import type { SentencePieceVocab } from './sentencepiece-vocab.js';
import { generatedTokenizerConfig } from './tokenizer-config-writer.js';

/** tokenizer_config.json as save-model.ts writes it (no model_max_length: there is no model yet). */
export function tokenizerConfigOf(vocab: SentencePieceVocab): Record<string, unknown> {
  return generatedTokenizerConfig({
    kind: 'sentencepiece',
    bosToken: vocab.pieces[vocab.bosId],
    eosToken: vocab.pieces[vocab.eosId],
    padToken: vocab.padId === null ? null : vocab.pieces[vocab.padId],
    unkToken: vocab.unkId === null ? null : vocab.pieces[vocab.unkId],
    addBosToken: true,
    addEosToken: false,
    cleanUpSpaces: false,
    chatTemplate: null,
  });
}

/** Writes `tokenizerJsonPath` and tokenizer_config.json beside it, each atomically. */
export function writeTrainedTokenizer(vocab: SentencePieceVocab, tokenizerJsonPath: string): void {
  const encoder = new TextEncoder();
  const json = JSON.stringify(llamaTokenizerJsonFromVocab(vocab), null, 2) + '\n';
  const config = JSON.stringify(tokenizerConfigOf(vocab), null, 2) + '\n';
  writeFileAtomic(join(dirname(tokenizerJsonPath), 'tokenizer_config.json'), [encoder.encode(config)]);
  writeFileAtomic(tokenizerJsonPath, [encoder.encode(json)]);
}
