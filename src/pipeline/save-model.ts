// Writes a model in any format together with its tokenizer, so the result loads on its own:
// an HF folder gets tokenizer.json and tokenizer_config.json, a GGUF the tokenizer.ggml.* keys.
import { basename } from 'node:path';
import { saveModel } from '../formats/load.js';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import type { CheckpointFormat } from '../formats/load.js';
import type { ModelWeights } from '../model/weights.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { typedTokenizerKeys } from './gguf-tokenizer-keys.js';

export function saveModelWithTokenizer(
  weights: ModelWeights,
  tokenizer: Tokenizer | null,
  out: string,
  format: CheckpointFormat,
  extras: { llama2cRopeTables?: Float32Array; name?: string; files?: Record<string, string> } = {},
): void {
  refuseOutputOverInput(out, { replaces: format === 'hf', mapped: true });
  if (format === 'hf') {
    const files: Record<string, string> = { ...extras.files };
    if (tokenizer) {
      files['tokenizer.json'] = JSON.stringify(tokenizer.toTokenizerJson(), null, 2);
      files['tokenizer_config.json'] = JSON.stringify(
        {
          tokenizer_class: 'LlamaTokenizerFast',
          bos_token: tokenizer.tokenToPiece(tokenizer.bosId),
          eos_token: tokenizer.tokenToPiece(tokenizer.eosId),
          add_bos_token: true,
          add_eos_token: false,
          clean_up_tokenization_spaces: false,
          model_max_length: weights.config.maxSeqLen,
        },
        null,
        2,
      );
    }
    saveModel(weights, out, 'hf', { extraFiles: files });
  } else if (format === 'gguf') {
    const md = tokenizer ? typedTokenizerKeys(tokenizer.toGgufMetadata()) : undefined;
    saveModel(weights, out, 'gguf', {
      ggufMetadata: md,
      name: extras.name ?? basename(out).replace(/\.gguf$/, ''),
    });
  } else {
    saveModel(weights, out, format, { llama2cRopeTables: extras.llama2cRopeTables });
  }
}
