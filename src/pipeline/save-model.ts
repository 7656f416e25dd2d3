// Writes a model in any format together with its tokenizer, so the result loads on its own: an HF
// folder gets the tokenizer files of the folder the tokenizer came from, unchanged (or generated
// ones for a tokenizer from GGUF / llama2.c), a GGUF the tokenizer.ggml.* keys (a GGUF written from
// a GGUF carries every key of its source, per-layer arrays cut to the kept blocks).
import { basename } from 'node:path';
import { saveModel } from '../formats/load.js';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import type { CheckpointFormat, LoadedModel } from '../formats/load.js';
import { castMatrices, hasQuantizedWeights } from '../model/cast.js';
import type { ModelWeights } from '../model/weights.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { paddedTokenizerKeys, typedTokenizerKeys } from './gguf-tokenizer-keys.js';
import { tokenizerFilesFor } from './tokenizer-files.js';

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
    const files: Record<string, string | Uint8Array> = {
      ...(tokenizer ? tokenizerFilesFor(tokenizer, weights.config.maxSeqLen) : {}),
      ...extras.files,
    };
    // safetensors holds no GGML blocks: a quantized model's matrices go out as bf16, as HF checkpoints ship.
    saveModel(hasQuantizedWeights(weights) ? castMatrices(weights, 'bf16') : weights, out, 'hf', {
      extraFiles: files,
    });
  } else if (format === 'gguf') {
    const source = extras.from?.format === 'gguf' ? extras.from.ggufMetadata : undefined;
    const md =
      source ??
      (tokenizer
        ? typedTokenizerKeys(paddedTokenizerKeys(tokenizer.toGgufMetadata(), weights.config.vocabSize))
        : undefined);
    saveModel(weights, out, 'gguf', {
      ggufMetadata: md,
      name: extras.name ?? (source ? undefined : basename(out).replace(/\.gguf$/, '')),
      keptBlocks: extras.keptBlocks,
    });
  } else {
    saveModel(weights, out, format, { llama2cRopeTables: extras.llama2cRopeTables });
  }
}
