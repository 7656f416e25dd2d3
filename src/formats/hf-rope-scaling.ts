// config.json's `rope_scaling` (transformers 4.x) or `rope_parameters` (5.x) to and from our
// RopeScaling, with transformers' defaults (YaRN's beta_fast 32, beta_slow 1, truncate true, the
// original context defaulting to max_position_embeddings). Any other rope type is refused by name.
import type { LlamaConfig } from '../model/config.js';
import { ConfigError } from '../model/config.js';
import type { RopeScaling } from '../model/rotary.js';
import { ROPE_TYPES } from '../model/rotary.js';

type Json = Record<string, unknown>;

function optionalNumber(j: Json, key: string, file: string, field: string): number | null {
  const v = j[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ConfigError(file, `${field}.${key}`, `a number (got ${JSON.stringify(v)})`);
  return v;
}

function requiredNumber(j: Json, key: string, file: string, field: string): number {
  const v = optionalNumber(j, key, file, field);
  if (v === null) throw new ConfigError(file, `${field}.${key}`, 'a number (it is missing)');
  return v;
}

/** Parses rope_scaling / rope_parameters (`field` says which); null when absent or the default type. */
export function ropeScalingFromHf(
  value: unknown,
  maxPositionEmbeddings: number,
  file: string,
  field: string,
): RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(file, field, `an object or null (got ${JSON.stringify(value)})`);
  const j = value as Json;
  const type = j.rope_type ?? j.type ?? 'default';
  if (type === 'default') return null;
  const known = ROPE_TYPES.join(', ');
  if (typeof type !== 'string' || !(ROPE_TYPES as readonly string[]).includes(type))
    throw new ConfigError(
      file,
      `${field}.rope_type`,
      `one of default, ${known} (got ${JSON.stringify(type)}, which shorten does not implement)`,
    );
  const num = (key: string): number => requiredNumber(j, key, file, field);
  switch (type) {
    case 'linear':
      return { type, factor: num('factor') };
    case 'dynamic':
      return { type, factor: num('factor') };
    case 'llama3':
      return {
        type,
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
      };
    default: {
      const original =
        optionalNumber(j, 'original_max_position_embeddings', file, field) ?? maxPositionEmbeddings;
      const factor = optionalNumber(j, 'factor', file, field) ?? maxPositionEmbeddings / original;
      const truncate = j.truncate ?? true;
      if (typeof truncate !== 'boolean')
        throw new ConfigError(file, `${field}.truncate`, `a boolean (got ${JSON.stringify(truncate)})`);
      return {
        type: 'yarn',
        factor,
        originalMaxPositionEmbeddings: original,
        // Python's `or`: 0 and null both fall back to the paper's defaults.
        betaFast: optionalNumber(j, 'beta_fast', file, field) || 32,
        betaSlow: optionalNumber(j, 'beta_slow', file, field) || 1,
        attentionFactor: optionalNumber(j, 'attention_factor', file, field),
        mscale: optionalNumber(j, 'mscale', file, field),
        mscaleAllDim: optionalNumber(j, 'mscale_all_dim', file, field),
        truncate,
      };
    }
  }
}

/** The rope_scaling object for config.json, or null for plain RoPE. */
export function ropeScalingToHf(c: LlamaConfig, file: string): Json | null {
  const s = c.ropeScaling;
  if (!s) {
    if (c.ropeFreqFactors)
      throw new ConfigError(
        file,
        'rope_scaling',
        "rope scaling parameters transformers can read; the model carries llama.cpp's rope_freqs factors, which match no Llama 3 scaling shorten knows",
      );
    return null;
  }
  switch (s.type) {
    case 'linear':
    case 'dynamic':
      return { rope_type: s.type, factor: s.factor };
    case 'llama3':
      return {
        rope_type: 'llama3',
        factor: s.factor,
        low_freq_factor: s.lowFreqFactor,
        high_freq_factor: s.highFreqFactor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
      };
    case 'yarn': {
      const j: Json = {
        rope_type: 'yarn',
        factor: s.factor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
        beta_fast: s.betaFast,
        beta_slow: s.betaSlow,
      };
      if (s.attentionFactor !== null) j.attention_factor = s.attentionFactor;
      if (s.mscale !== null) j.mscale = s.mscale;
      if (s.mscaleAllDim !== null) j.mscale_all_dim = s.mscaleAllDim;
      if (!s.truncate) j.truncate = false;
      return j;
    }
  }
}
