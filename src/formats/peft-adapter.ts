// LoRA adapters in PEFT's on-disk layout, so PEFT (PeftModel.from_pretrained) and other tools load
// them: adapter_config.json + adapter_model.safetensors with PEFT's key names for a LLaMA model.
// Followed: peft/utils/save_and_load.py (get_peft_model_state_dict drops the adapter name
// "default" from `...q_proj.lora_A.default.weight`), peft/tuners/lora/config.py (LoraConfig fields)
// and adapter_config.json files PEFT wrote for LLaMA models (e.g. r=8, lora_alpha=16, q_proj...).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WeightTensor } from '../model/weights.js';
import { writeFileAtomic } from './atomic-write.js';
import { FormatError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** The adapter_config.json fields PEFT writes for a LoRA adapter. */
export interface PeftLoraConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  bias: 'none';
  fan_in_fan_out: false;
  inference_mode: boolean;
  init_lora_weights: true;
  modules_to_save: null;
  layers_to_transform: null;
  layers_pattern: null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  use_rslora: false;
  use_dora: false;
  revision: null;
}

export function peftLoraConfig(o: {
  base: string | null;
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}): PeftLoraConfig {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: o.base,
    r: o.r,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    target_modules: [...o.targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_rslora: false,
    use_dora: false,
    revision: null,
  };
}

/**
 * The PEFT key of an adapter matrix for a LLaMA causal LM: the HF weight name under
 * `base_model.model.`, `.weight` replaced by `.lora_A.weight` / `.lora_B.weight`.
 */
export function peftKey(weightName: string, which: 'A' | 'B'): string {
  if (!weightName.endsWith('.weight')) throw new RangeError(`peftKey: '${weightName}' is not a weight name`);
  return `base_model.model.${weightName.slice(0, -'.weight'.length)}.lora_${which}.weight`;
}

/** The HF weight name a PEFT key belongs to, and which matrix it is; null for any other key. */
export function parsePeftKey(key: string): { weightName: string; which: 'A' | 'B' } | null {
  const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(key);
  return m ? { weightName: `${m[1]}.weight`, which: m[2] as 'A' | 'B' } : null;
}

export interface AdapterPair {
  /** [r, in]. */
  a: WeightTensor;
  /** [out, r]. */
  b: WeightTensor;
}

/**
 * Writes the two adapter files into `dir`, each atomically (temp name, rename), weights first so a
 * config never points at missing weights; other files in `dir` (a run's checkpoints) are kept.
 * `pairs` are keyed by the HF name of the weight each one wraps.
 */
export function writePeftAdapter(dir: string, config: PeftLoraConfig, pairs: Map<string, AdapterPair>): void {
  const tensors = new Map<string, WeightTensor>();
  for (const [name, p] of pairs) {
    tensors.set(peftKey(name, 'A'), p.a);
    tensors.set(peftKey(name, 'B'), p.b);
  }
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  writeFileAtomic(join(dir, ADAPTER_CONFIG), [
    new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'),
  ]);
}

/** Reads and checks an adapter folder written by PEFT or by writePeftAdapter. */
export function readPeftAdapter(dir: string): { config: PeftLoraConfig; pairs: Map<string, AdapterPair> } {
  const cfgPath = join(dir, ADAPTER_CONFIG);
  const wPath = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(cfgPath))
    throw new FormatError(dir, ADAPTER_CONFIG, 'a PEFT adapter folder holding adapter_config.json');
  if (!existsSync(wPath))
    throw new FormatError(dir, ADAPTER_WEIGHTS, 'a PEFT adapter folder holding adapter_model.safetensors');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new FormatError(cfgPath, '(root)', `valid JSON (${(e as Error).message})`);
  }
  const c = raw as Record<string, unknown>;
  if (typeof c !== 'object' || c === null) throw new FormatError(cfgPath, '(root)', 'a JSON object');
  if (c.peft_type !== 'LORA')
    throw new FormatError(cfgPath, 'peft_type', `"LORA" (got ${JSON.stringify(c.peft_type)})`);
  if (!Number.isInteger(c.r) || (c.r as number) < 1)
    throw new FormatError(cfgPath, 'r', `a positive integer (got ${JSON.stringify(c.r)})`);
  if (typeof c.lora_alpha !== 'number' || !(c.lora_alpha > 0))
    throw new FormatError(cfgPath, 'lora_alpha', `a positive number (got ${JSON.stringify(c.lora_alpha)})`);
  if (c.fan_in_fan_out === true) throw new FormatError(cfgPath, 'fan_in_fan_out', 'false (LLaMA Linears)');
  if (c.use_rslora === true || c.use_dora === true)
    throw new FormatError(cfgPath, c.use_dora === true ? 'use_dora' : 'use_rslora', 'false (plain LoRA)');
  const config = c as unknown as PeftLoraConfig;
  const contents = readSafetensors(wPath);
  const halves = new Map<string, Partial<AdapterPair>>();
  for (const [key, t] of contents.tensors) {
    const parsed = parsePeftKey(key);
    if (!parsed) throw new FormatError(wPath, key, 'only base_model.model.<module>.lora_{A,B}.weight keys');
    if (t.shape.length !== 2) throw new FormatError(wPath, key, `a 2-D matrix (got [${t.shape}])`);
    const h = halves.get(parsed.weightName) ?? {};
    h[parsed.which === 'A' ? 'a' : 'b'] = t;
    halves.set(parsed.weightName, h);
  }
  const pairs = new Map<string, AdapterPair>();
  for (const [name, h] of halves) {
    if (!h.a || !h.b)
      throw new FormatError(wPath, peftKey(name, h.a ? 'B' : 'A'), 'both lora_A and lora_B for each module');
    if (h.a.shape[0] !== config.r || h.b.shape[1] !== config.r)
      throw new FormatError(
        wPath,
        peftKey(name, 'A'),
        `rank ${config.r} (A [${h.a.shape}], B [${h.b.shape}])`,
      );
    pairs.set(name, { a: h.a, b: h.b });
  }
  return { config, pairs };
}
