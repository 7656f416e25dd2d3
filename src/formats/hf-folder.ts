// Hugging Face model folders: config.json plus model.safetensors or a sharded index, read into
// ModelWeights; written as config.json, model.safetensors and generation_config.json into a
// temporary folder renamed into place, with any tokenizer files the caller hands over.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig } from '../model/config.js';
import type { DType, ModelWeights, WeightTensor } from '../model/weights.js';
import { writeFolderAtomic } from './atomic-write.js';
import { ConfigError, FormatError } from './errors.js';
import { configFromHfJson, hfJsonFromConfig } from './hf-config.js';
import { checkModelTensors } from './model-tensors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export interface HfFolderContents {
  weights: ModelWeights;
  /** The parsed config.json as written, for fields we do not normalize. */
  rawConfig: Record<string, unknown>;
  /** The safetensors files read, in order. */
  files: string[];
}

function readJson(path: string, field = '(root)'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new FormatError(path, field, 'a readable file');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(path, field, 'valid JSON');
  }
}

/** The shard files of a sharded checkpoint and which tensor each must hold, validated. */
function readShardIndex(path: string): Map<string, string> {
  const j = readJson(path);
  const map = (j as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new FormatError(path, 'weight_map', 'an object mapping tensor names to shard file names');
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    // A shard is a plain file name in the same folder: no paths, so an index cannot point outside it.
    if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard) || shard.startsWith('.'))
      throw new FormatError(
        path,
        `weight_map.${name}`,
        `a .safetensors file name in the folder (got ${JSON.stringify(shard)})`,
      );
    out.set(name, shard);
  }
  return out;
}

function readTensors(dir: string): { tensors: Map<string, WeightTensor>; files: string[] } {
  const single = join(dir, 'model.safetensors');
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(single)) return { tensors: readSafetensors(single).tensors, files: [single] };
  if (!existsSync(indexPath))
    throw new FormatError(
      dir,
      'model.safetensors',
      'model.safetensors or model.safetensors.index.json in the folder',
    );
  const weightMap = readShardIndex(indexPath);
  const shards = [...new Set(weightMap.values())].sort();
  const tensors = new Map<string, WeightTensor>();
  const files: string[] = [];
  for (const shard of shards) {
    const shardPath = join(dir, shard);
    if (!existsSync(shardPath))
      throw new FormatError(indexPath, 'weight_map', `shard ${shard} to exist in ${dir}`);
    files.push(shardPath);
    for (const [name, t] of readSafetensors(shardPath).tensors) {
      if (weightMap.get(name) !== shard)
        throw new FormatError(
          shardPath,
          name,
          `a tensor that weight_map assigns to this shard (it names ${JSON.stringify(weightMap.get(name))})`,
        );
      tensors.set(name, t);
    }
  }
  for (const [name, shard] of weightMap)
    if (!tensors.has(name))
      throw new FormatError(join(dir, shard), name, 'the tensor weight_map places in this shard');
  return { tensors, files };
}

/** Reads an HF LLaMA/Mistral/Qwen2 folder; tensors stay views into the mapped safetensors files. */
export function readHfFolder(dir: string): HfFolderContents {
  const configPath = join(dir, 'config.json');
  const rawConfig = readJson(configPath);
  const config = configFromHfJson(rawConfig, configPath);
  const { tensors, files } = readTensors(dir);
  // Tied checkpoints sometimes store the classifier anyway; the tie decides.
  if (config.tieWordEmbeddings) tensors.delete('lm_head.weight');
  // Rotary inverse frequencies are buffers older exports saved; they are recomputed, never read.
  for (const name of [...tensors.keys()]) if (name.endsWith('rotary_emb.inv_freq')) tensors.delete(name);
  const weights: ModelWeights = { config, tensors };
  checkModelTensors(weights, files.length === 1 ? files[0] : dir);
  return { weights, rawConfig: rawConfig as Record<string, unknown>, files };
}

export interface HfWriteOptions {
  /** Files written alongside (tokenizer.json, tokenizer_config.json, ...), by file name. */
  extraFiles?: Record<string, string | Uint8Array>;
  /** safetensors `__metadata__`; defaults to {format: "pt"} as Transformers writes. */
  metadata?: Record<string, string>;
}

function dominantDtype(w: ModelWeights): DType {
  return w.tensors.get('model.embed_tokens.weight')?.dtype ?? 'f32';
}

function generationConfig(c: LlamaConfig): Record<string, unknown> {
  return { _from_model_config: true, bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId };
}

/** Writes an HF folder atomically: everything goes into a temporary folder renamed to `dir` at the end. */
export function writeHfFolder(dir: string, weights: ModelWeights, options: HfWriteOptions = {}): void {
  checkModelTensors(weights, dir);
  const reserved = new Set(['config.json', 'model.safetensors', 'generation_config.json']);
  for (const name of Object.keys(options.extraFiles ?? {}))
    if (reserved.has(name) || !/^[\w.-]+$/.test(name) || name.startsWith('.'))
      throw new ConfigError(
        dir,
        `extraFiles.${name}`,
        'a plain file name other than config.json, model.safetensors, generation_config.json',
      );
  const configJson = hfJsonFromConfig(weights.config, dominantDtype(weights), join(dir, 'config.json'));
  writeFolderAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
    writeFileSync(
      join(tmp, 'generation_config.json'),
      JSON.stringify(generationConfig(weights.config), null, 2) + '\n',
    );
    for (const [name, content] of Object.entries(options.extraFiles ?? {}))
      writeFileSync(join(tmp, name), content);
    writeSafetensors(join(tmp, 'model.safetensors'), weights.tensors, options.metadata ?? { format: 'pt' });
  });
}
