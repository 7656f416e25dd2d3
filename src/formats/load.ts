// One entry point for reading and writing a model in any supported checkpoint format, chosen from
// what is on disk (a folder with config.json, GGUF magic, or else a llama2.c .bin).
import { closeSync, openSync, readSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelWeights } from '../model/weights.js';
import { FormatError } from './errors.js';
import { GGUF_MAGIC, readGguf } from './gguf.js';
import type { GgufMetadata } from './gguf-metadata.js';
import { writeGguf } from './gguf-writer.js';
import { readHfFolder, writeHfFolder } from './hf-folder.js';
import { readLlama2c, writeLlama2c } from './llama2c.js';
import { checkModelTensors } from './model-tensors.js';
import { refuseOutputOverInput } from './output-guard.js';

export type CheckpointFormat = 'hf' | 'gguf' | 'llama2c';

export interface LoadedModel {
  weights: ModelWeights;
  format: CheckpointFormat;
  /** The path it was read from. */
  source: string;
  /** GGUF only: every metadata key, raw (the tokenizer keys among them). */
  ggufMetadata?: GgufMetadata;
  /** HF only: config.json as parsed. */
  hfConfig?: Record<string, unknown>;
  /** llama2.c only: the stored RoPE tables, so a rewrite is byte-identical. */
  llama2cRopeTables?: Float32Array;
}

export interface SaveExtras {
  /** HF: files written alongside (tokenizer.json, tokenizer_config.json, ...). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** GGUF: metadata to carry (tokenizer.ggml.* keys, or every key of a source GGUF) and general.name. */
  ggufMetadata?: GgufMetadata;
  name?: string;
  /** GGUF: the source's indices of the kept blocks, to cut carried per-layer arrays. */
  keptBlocks?: readonly number[];
  /** llama2.c: RoPE tables to store (otherwise computed). */
  llama2cRopeTables?: Float32Array;
}

/** Which format `path` holds, from the file system and the first bytes. */
export function detectFormat(path: string): CheckpointFormat {
  if (!existsSync(path)) throw new FormatError(path, '(path)', 'an existing file or folder');
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'config.json'))) return 'hf';
    throw new FormatError(path, 'config.json', 'a Hugging Face folder holding config.json');
  }
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4);
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.readUInt32LE(0) === GGUF_MAGIC ? 'gguf' : 'llama2c';
}

export function loadModel(path: string): LoadedModel {
  const format = detectFormat(path);
  if (format === 'hf') {
    const r = readHfFolder(path);
    return { weights: r.weights, format, source: path, hfConfig: r.rawConfig };
  }
  if (format === 'gguf') {
    const r = readGguf(path);
    checkModelTensors(r.weights, path);
    return { weights: r.weights, format, source: path, ggufMetadata: r.metadata };
  }
  const r = readLlama2c(path);
  return { weights: r.weights, format, source: path, llama2cRopeTables: r.ropeTables };
}

/** Writes `weights` to `out` in `format`, atomically. */
export function saveModel(
  weights: ModelWeights,
  out: string,
  format: CheckpointFormat,
  extras: SaveExtras = {},
): void {
  refuseOutputOverInput(out, { replaces: format === 'hf' });
  if (format === 'hf') writeHfFolder(out, weights, { extraFiles: extras.extraFiles });
  else if (format === 'gguf')
    writeGguf(out, weights, {
      metadata: extras.ggufMetadata,
      name: extras.name,
      keptBlocks: extras.keptBlocks,
    });
  else if (format === 'llama2c') writeLlama2c(out, weights, extras.llama2cRopeTables);
  else throw new FormatError(out, 'format', `'hf', 'gguf' or 'llama2c' (got ${JSON.stringify(format)})`);
}
