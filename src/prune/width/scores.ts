// Importance of each KV group and MLP channel of every block: magnitude (sum of |W| over the
// weights the unit owns) or Wanda-style (|W_ij|·‖x_j‖, x the input of that linear over the
// calibration tokens), summed over every weight the unit owns.
import type { LlamaConfig } from '../../model/config.js';
import { layerPrefix, requireTensor } from '../../model/weights.js';
import type { ModelWeights } from '../../model/weights.js';
import { weightValues } from '../../tensor/weight-values.js';

/** Per block: ‖x_j‖ (L2 over calibration tokens) of the inputs of q/k/v, o, gate/up and down. */
export interface BlockInputNorms {
  attnIn: Float64Array;
  oIn: Float64Array;
  mlpIn: Float64Array;
  downIn: Float64Array;
}

export interface WidthScores {
  /** [block][kv group] */
  kvGroups: Float64Array[];
  /** [block][channel] */
  channels: Float64Array[];
}

/** Σ over rows [r0, r1) of Σ_j |W_rj|·norm_j. */
function rowScore(
  w: Float32Array | Float64Array,
  cols: number,
  r0: number,
  r1: number,
  norm: Float64Array | null,
): number {
  let s = 0;
  for (let r = r0; r < r1; r++) {
    const o = r * cols;
    if (norm) for (let j = 0; j < cols; j++) s += Math.abs(w[o + j]) * norm[j];
    else for (let j = 0; j < cols; j++) s += Math.abs(w[o + j]);
  }
  return s;
}

/** Per column j of [rows, cols]: Σ_i |W_ij| (times norm_j when given). */
function columnScores(
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  norm: Float64Array | null,
): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j] += Math.abs(w[o + j]);
  }
  if (norm) for (let j = 0; j < cols; j++) out[j] *= norm[j];
  return out;
}

export function widthScores(weights: ModelWeights, norms: BlockInputNorms[] | null): WidthScores {
  const c: LlamaConfig = weights.config;
  const d = c.hiddenSize;
  const hd = c.headDim;
  const group = c.numHeads / c.numKvHeads;
  const kvGroups: Float64Array[] = [];
  const channels: Float64Array[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const p = layerPrefix(l);
    const get = (n: string) => weightValues(requireTensor(weights, p + n, 'model'), 'f32');
    const n = norms ? norms[l] : null;
    const q = get('self_attn.q_proj.weight');
    const k = get('self_attn.k_proj.weight');
    const v = get('self_attn.v_proj.weight');
    const oCols = columnScores(get('self_attn.o_proj.weight'), d, c.numHeads * hd, n ? n.oIn : null);
    const g = new Float64Array(c.numKvHeads);
    for (let kv = 0; kv < c.numKvHeads; kv++) {
      const h0 = kv * group;
      let s = rowScore(q, d, h0 * hd, (h0 + group) * hd, n ? n.attnIn : null);
      s += rowScore(k, d, kv * hd, (kv + 1) * hd, n ? n.attnIn : null);
      s += rowScore(v, d, kv * hd, (kv + 1) * hd, n ? n.attnIn : null);
      for (let j = h0 * hd; j < (h0 + group) * hd; j++) s += oCols[j];
      g[kv] = s;
    }
    kvGroups.push(g);
    const I = c.intermediateSize;
    const gate = get('mlp.gate_proj.weight');
    const up = get('mlp.up_proj.weight');
    const ch = columnScores(get('mlp.down_proj.weight'), d, I, n ? n.downIn : null);
    for (let r = 0; r < I; r++) {
      ch[r] += rowScore(gate, d, r, r + 1, n ? n.mlpIn : null);
      ch[r] += rowScore(up, d, r, r + 1, n ? n.mlpIn : null);
    }
    channels.push(ch);
  }
  return { kvGroups, channels };
}

/** Indices of the `count` highest scores, ascending (ties keep the lower index). */
export function topIndices(scores: Float64Array, count: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}
