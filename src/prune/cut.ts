// Cutting a model: whole blocks removed and the kept ones renumbered in order, or single sublayers
// removed (recorded in the config as prunedAttention / prunedMlp and their weights dropped).
// Tensors are shared with the source, never copied.
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { elementCount } from '../model/weights.js';
import type { PruneUnit } from './units.js';

const LAYER = /^model\.layers\.(\d+)\.(.*)$/;

function checkBlocks(w: ModelWeights, blocks: readonly number[], what: string): Set<number> {
  const set = new Set(blocks);
  for (const b of set)
    if (!Number.isInteger(b) || b < 0 || b >= w.config.numLayers)
      throw new RangeError(`${what}: block ${b} is not in [0, ${w.config.numLayers})`);
  return set;
}

/** The model without the given blocks; block k of the result is the k-th kept block. */
export function removeBlocks(w: ModelWeights, blocks: readonly number[]): ModelWeights {
  const gone = checkBlocks(w, blocks, 'removeBlocks');
  const L = w.config.numLayers;
  if (gone.size >= L) throw new RangeError(`removeBlocks: cannot remove all ${L} blocks`);
  const newIndex = new Map<number, number>();
  for (let i = 0, k = 0; i < L; i++) if (!gone.has(i)) newIndex.set(i, k++);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) {
    const m = LAYER.exec(name);
    if (!m) {
      tensors.set(name, t);
      continue;
    }
    const k = newIndex.get(Number(m[1]));
    if (k !== undefined) tensors.set(`model.layers.${k}.${m[2]}`, t);
  }
  const renumber = (list: number[]): number[] =>
    list.filter((i) => newIndex.has(i)).map((i) => newIndex.get(i)!);
  return {
    config: {
      ...w.config,
      numLayers: L - gone.size,
      prunedAttention: renumber(w.config.prunedAttention),
      prunedMlp: renumber(w.config.prunedMlp),
    },
    tensors,
  };
}

/** The model without the attention (or MLP) sublayer of the given blocks; block numbers are unchanged. */
export function removeSublayers(
  w: ModelWeights,
  unit: 'attn' | 'mlp',
  blocks: readonly number[],
): ModelWeights {
  const gone = checkBlocks(w, blocks, 'removeSublayers');
  const part = unit === 'attn' ? /^(input_layernorm|self_attn)\./ : /^(post_attention_layernorm|mlp)\./;
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) {
    const m = LAYER.exec(name);
    if (m && gone.has(Number(m[1])) && part.test(m[2])) continue;
    tensors.set(name, t);
  }
  const field = unit === 'attn' ? 'prunedAttention' : 'prunedMlp';
  const merged = [...new Set([...w.config[field], ...gone])].sort((a, b) => a - b);
  return { config: { ...w.config, [field]: merged }, tensors };
}

export function removeUnits(w: ModelWeights, unit: PruneUnit, blocks: readonly number[]): ModelWeights {
  return unit === 'block' ? removeBlocks(w, blocks) : removeSublayers(w, unit, blocks);
}

export function parameterCount(w: ModelWeights): number {
  let n = 0;
  for (const t of w.tensors.values()) n += elementCount(t.shape);
  return n;
}
