// Cutting width: each block keeps the chosen KV groups (their q heads, k and v heads and the
// o_proj columns of those heads) and the chosen MLP channels (gate/up rows, down_proj columns).
// Every block keeps the same counts, so the result is an ordinary LLaMA config.
import { layerPrefix } from '../../model/weights.js';
import type { ModelWeights, WeightTensor } from '../../model/weights.js';
import { isQuantized } from '../../model/weights.js';
import { freshF32 } from '../../tensor/weight-values.js';

/** The rows of a [rows, cols] tensor listed in `keep`, in that order (a quantized row moves as its bytes). */
export function keepRows(t: WeightTensor, keep: readonly number[]): WeightTensor {
  const width = t.data.length / t.shape[0];
  const data = new (t.data.constructor as new (n: number) => typeof t.data)(keep.length * width);
  keep.forEach((r, i) => data.set(t.data.subarray(r * width, (r + 1) * width), i * width));
  return { dtype: t.dtype, shape: [keep.length, t.shape[1]], data };
}

/**
 * The columns of a [rows, cols] tensor listed in `keep`, in that order. A quantized tensor's blocks
 * span columns, so it comes out as f32.
 */
export function keepColumns(t: WeightTensor, keep: readonly number[]): WeightTensor {
  const [rows, cols] = t.shape;
  const n = keep.length;
  const src = isQuantized(t) ? freshF32(t) : (t.data as Float32Array | Uint16Array);
  const data = src instanceof Float32Array ? new Float32Array(rows * n) : new Uint16Array(rows * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) data[i * n + j] = src[i * cols + keep[j]];
  return { dtype: isQuantized(t) ? 'f32' : t.dtype, shape: [rows, n], data };
}

function expand(units: readonly number[], width: number): number[] {
  const out: number[] = [];
  for (const u of units) for (let j = 0; j < width; j++) out.push(u * width + j);
  return out;
}

/**
 * The model with, per block l, only the KV groups `kvGroups[l]` and the MLP channels
 * `channels[l]` (each list ascending, all blocks the same length).
 */
export function cutWidth(w: ModelWeights, kvGroups: number[][], channels: number[][]): ModelWeights {
  const c = w.config;
  const L = c.numLayers;
  if (kvGroups.length !== L || channels.length !== L)
    throw new RangeError(`cutWidth: expected kept units for ${L} blocks`);
  const groupsKept = kvGroups[0].length;
  const channelsKept = channels[0].length;
  const group = c.numHeads / c.numKvHeads;
  const tensors = new Map<string, WeightTensor>(w.tensors);
  for (let l = 0; l < L; l++) {
    if (kvGroups[l].length !== groupsKept || channels[l].length !== channelsKept)
      throw new RangeError(
        `cutWidth: block ${l} keeps a different number of KV groups or channels than block 0`,
      );
    for (const g of kvGroups[l])
      if (!(Number.isInteger(g) && g >= 0 && g < c.numKvHeads))
        throw new RangeError(`cutWidth: KV group ${g} of block ${l} not in [0, ${c.numKvHeads})`);
    for (const ch of channels[l])
      if (!(Number.isInteger(ch) && ch >= 0 && ch < c.intermediateSize))
        throw new RangeError(`cutWidth: channel ${ch} of block ${l} not in [0, ${c.intermediateSize})`);
    const p = layerPrefix(l);
    const get = (n: string): WeightTensor => {
      const t = w.tensors.get(p + n);
      if (!t) throw new Error(`cutWidth: missing weight '${p + n}'`);
      return t;
    };
    const heads = kvGroups[l].flatMap((g) => Array.from({ length: group }, (_, i) => g * group + i));
    const qRows = expand(heads, c.headDim);
    const kvRows = expand(kvGroups[l], c.headDim);
    tensors.set(p + 'self_attn.q_proj.weight', keepRows(get('self_attn.q_proj.weight'), qRows));
    tensors.set(p + 'self_attn.k_proj.weight', keepRows(get('self_attn.k_proj.weight'), kvRows));
    tensors.set(p + 'self_attn.v_proj.weight', keepRows(get('self_attn.v_proj.weight'), kvRows));
    tensors.set(p + 'self_attn.o_proj.weight', keepColumns(get('self_attn.o_proj.weight'), qRows));
    for (const [name, rows] of [
      ['q', qRows],
      ['k', kvRows],
      ['v', kvRows],
    ] as const) {
      const bias = w.tensors.get(`${p}self_attn.${name}_proj.bias`);
      if (!bias) continue;
      const kept = keepRows({ ...bias, shape: [bias.shape[0], 1] }, rows);
      tensors.set(`${p}self_attn.${name}_proj.bias`, { ...kept, shape: [rows.length] });
    }
    tensors.set(p + 'mlp.gate_proj.weight', keepRows(get('mlp.gate_proj.weight'), channels[l]));
    tensors.set(p + 'mlp.up_proj.weight', keepRows(get('mlp.up_proj.weight'), channels[l]));
    tensors.set(p + 'mlp.down_proj.weight', keepColumns(get('mlp.down_proj.weight'), channels[l]));
  }
  return {
    config: {
      ...c,
      numHeads: groupsKept * group,
      numKvHeads: groupsKept,
      intermediateSize: channelsKept,
    },
    tensors,
  };
}
