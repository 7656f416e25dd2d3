// What can be removed (a whole block, or only a block's attention or MLP sublayer), the weights each
// unit owns, and the result shape that every criterion returns.
import type { LlamaConfig } from '../model/config.js';
import { layerPrefix } from '../model/weights.js';

export type PruneUnit = 'block' | 'attn' | 'mlp';
export const PRUNE_UNITS: readonly PruneUnit[] = ['block', 'attn', 'mlp'];

const ATTENTION_WEIGHTS = [
  'input_layernorm.weight',
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
];
const MLP_WEIGHTS = [
  'post_attention_layernorm.weight',
  'mlp.gate_proj.weight',
  'mlp.up_proj.weight',
  'mlp.down_proj.weight',
];

/**
 * The weights one unit of block `layer` owns: the nine every LLaMA block has (q, k, v, o, gate, up,
 * down, two norms), plus q/k/v biases (Qwen2) and per-head q/k norms (Qwen3) when the model has them.
 */
export function unitWeightNames(c: LlamaConfig, layer: number, unit: PruneUnit): string[] {
  const attention = [...ATTENTION_WEIGHTS];
  if (c.attentionBias)
    attention.push('self_attn.q_proj.bias', 'self_attn.k_proj.bias', 'self_attn.v_proj.bias');
  if (c.qkNorm) attention.push('self_attn.q_norm.weight', 'self_attn.k_norm.weight');
  const names = unit === 'attn' ? attention : unit === 'mlp' ? MLP_WEIGHTS : [...attention, ...MLP_WEIGHTS];
  return names.map((n) => layerPrefix(layer) + n);
}

/** Blocks whose `unit` is still present (a sublayer pruned earlier is no longer a candidate). */
export function presentUnits(c: LlamaConfig, unit: PruneUnit): number[] {
  const gone = unit === 'attn' ? c.prunedAttention : unit === 'mlp' ? c.prunedMlp : [];
  const out: number[] = [];
  for (let i = 0; i < c.numLayers; i++) if (!gone.includes(i)) out.push(i);
  return out;
}

/**
 * A criterion's answer: one score per unit (higher = more important for every criterion), and the
 * order from least to most important. For `angular` the units are runs of `run` blocks starting at
 * `indices[k]`.
 */
export interface UnitScores {
  criterion: string;
  unit: PruneUnit;
  /** Block index (or first block of a run) of each score. */
  indices: number[];
  scores: number[];
  /** Indices from least to most important. */
  order: number[];
  /** angular: blocks per run. */
  run?: number;
  /** taylor: mean calibration loss of the unpruned model (mean over batches of each batch's mean). */
  loss?: number;
  /** ppl: calibration perplexity of the unpruned model. */
  baselinePpl?: number;
  /** --iterative: per step, the block removed (original numbering) and the scores it was chosen from. */
  steps?: { removed: number; indices: number[]; scores: number[] }[];
}

/** Ascending by score; ties keep the lower index first, so orders are reproducible. */
export function orderByScore(indices: readonly number[], scores: readonly number[]): number[] {
  return indices
    .map((index, k) => ({ index, score: scores[k] }))
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .map((e) => e.index);
}

export function unitScores(
  criterion: string,
  unit: PruneUnit,
  indices: number[],
  scores: number[],
  extra: Partial<UnitScores> = {},
): UnitScores {
  return { criterion, unit, indices, scores, order: orderByScore(indices, scores), ...extra };
}
