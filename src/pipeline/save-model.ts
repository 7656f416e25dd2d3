// Writes a model in any format together with its tokenizer, so the result loads on its own:
// an HF folder gets tokenizer.json and tokenizer_config.json, a GGUF the tokenizer.ggml.* keys (a
// GGUF written from a GGUF carries every key of its source, per-layer arrays cut to the kept blocks).
import { basename } from 'node:path';
import { saveModel } from '../formats/load.js';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import type { CheckpointFormat, LoadedModel } from '../formats/load.js';
import { castMatrices, hasQuantizedWeights } from '../model/cast.js';
import type { ModelWeights } from '../model/weights.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { typedTokenizerKeys } from './gguf-tokenizer-keys.js';

export function saveModelWithTokenizer(
  weights: ModelWeights,
  tokenizer: Tokenizer | null,
  out: string,
  format: CheckpointFormat,
  extras: {
    llama2cRopeTables?: Float32Array;
    name?: string;
    files?: Record<string, string>;
    /** The checkpoint the weights were read from. */
    from?: LoadedModel;
    /** The source's indices of the blocks kept (after depth pruning). */
    keptBlocks?: readonly number[];
  } = {},
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
    // safetensors holds no GGML blocks: a quantized model's matrices go out as bf16, as HF checkpoints ship.
    saveModel(hasQuantizedWeights(weights) ? castMatrices(weights, 'bf16') : weights, out, 'hf', {
      extraFiles: files,
    });
  } else if (format === 'gguf') {
    const source = extras.from?.format === 'gguf' ? extras.from.ggufMetadata : undefined;
    const md = source ?? (tokenizer ? typedTokenizerKeys(tokenizer.toGgufMetadata()) : undefined);
    saveModel(weights, out, 'gguf', {
      ggufMetadata: md,
      name: extras.name ?? (source ? undefined : basename(out).replace(/\.gguf$/, '')),
      keptBlocks: extras.keptBlocks,
    });
  } else {
    saveModel(weights, out, format, { llama2cRopeTables: extras.llama2cRopeTables });
  }
}
