// A float64 forward of LLaMA-family models written straight from transformers' modeling_llama.py,
// modeling_qwen2.py, modeling_qwen3.py and modeling_rope_utils.py, reading config.json as the family
// writes it: the independent reference the runtime's logits are checked against. Plain loops; small
// models only.
import type { ModelWeights } from '../../src/model/weights.js';
import { weightValues } from '../../src/tensor/weight-values.js';

type Json = Record<string, unknown>;

function get(w: ModelWeights, name: string): Float64Array {
  const t = w.tensors.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return Float64Array.from(weightValues(t, 'f64'));
}

/** transformers' ROPE_INIT_FUNCTIONS (v5 semantics), returning inv_freq and attention_scaling. */
export function referenceRope(cfg: Json, seqLen: number): { invFreq: number[]; scaling: number } {
  const heads = cfg.num_attention_heads as number;
  const dim = (cfg.head_dim as number | undefined) ?? (cfg.hidden_size as number) / heads;
  const base = (cfg.rope_theta as number | undefined) ?? 10000;
  const maxPos = cfg.max_position_embeddings as number;
  const rs = (cfg.rope_scaling ?? null) as Json | null;
  const type = rs ? ((rs.rope_type ?? rs.type) as string) : 'default';
  const defaults = (b: number): number[] =>
    Array.from({ length: dim / 2 }, (_, i) => 1 / Math.pow(b, (2 * i) / dim));
  if (type === 'default') return { invFreq: defaults(base), scaling: 1 };
  const factor = rs!.factor as number;
  if (type === 'linear') return { invFreq: defaults(base).map((f) => f / factor), scaling: 1 };
  if (type === 'dynamic') {
    const s = Math.max(seqLen, maxPos);
    const b = base * Math.pow((factor * s) / maxPos - (factor - 1), dim / (dim - 2));
    return { invFreq: defaults(b), scaling: 1 };
  }
  if (type === 'llama3') {
    const low = rs!.low_freq_factor as number;
    const high = rs!.high_freq_factor as number;
    const old = rs!.original_max_position_embeddings as number;
    const inv = defaults(base).map((f) => {
      const wavelen = (2 * Math.PI) / f;
      const scaled = wavelen > old / low ? f / factor : f;
      if (wavelen < old / high || wavelen > old / low) return scaled;
      const smooth = (old / wavelen - low) / (high - low);
      return ((1 - smooth) * scaled) / factor + smooth * scaled;
    });
    return { invFreq: inv, scaling: 1 };
  }
  if (type === 'yarn') {
    const original = (rs!.original_max_position_embeddings as number | undefined) ?? maxPos;
    const scaling = factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
    const betaFast = (rs!.beta_fast as number | undefined) || 32;
    const betaSlow = (rs!.beta_slow as number | undefined) || 1;
    const corr = (rot: number): number =>
      (dim * Math.log(original / (rot * 2 * Math.PI))) / (2 * Math.log(base));
    const lo = Math.max(Math.floor(corr(betaFast)), 0);
    let hi = Math.min(Math.ceil(corr(betaSlow)), dim - 1);
    if (lo === hi) hi += 0.001;
    const inv = Array.from({ length: dim / 2 }, (_, i) => {
      const pos = Math.pow(base, (2 * i) / dim);
      const extrapolationFactor = 1 - Math.min(Math.max((i - lo) / (hi - lo), 0), 1);
      return (1 / (factor * pos)) * (1 - extrapolationFactor) + (1 / pos) * extrapolationFactor;
    });
    return { invFreq: inv, scaling };
  }
  throw new Error(`reference: rope type ${type}`);
}

function rmsRows(x: Float64Array, w: Float64Array, width: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let ss = 0;
    for (let j = 0; j < width; j++) ss += x[r * width + j] ** 2;
    const inv = 1 / Math.sqrt(ss / width + eps);
    for (let j = 0; j < width; j++) out[r * width + j] = x[r * width + j] * inv * w[j];
  }
  return out;
}

function matmulT(
  x: Float64Array,
  rows: number,
  w: Float64Array,
  out: number,
  inp: number,
  bias?: Float64Array,
): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * w[o * inp + i];
      y[r * out + o] = s;
    }
  return y;
}

/** Logits [T, vocab] of one sequence (positions 0..T-1), from the folder's raw config.json. */
export function referenceLogits(cfg: Json, w: ModelWeights, ids: readonly number[]): Float64Array {
  const T = ids.length;
  const C = cfg.hidden_size as number;
  const H = cfg.num_attention_heads as number;
  const K = (cfg.num_key_value_heads as number | undefined) ?? H;
  const D = (cfg.head_dim as number | undefined) ?? C / H;
  const F = cfg.intermediate_size as number;
  const V = cfg.vocab_size as number;
  const eps = (cfg.rms_norm_eps as number | undefined) ?? 1e-6;
  const layers = cfg.num_hidden_layers as number;
  const arch = (cfg.architectures as string[])[0];
  const { invFreq, scaling } = referenceRope(cfg, T);
  const emb = get(w, 'model.embed_tokens.weight');
  let h = new Float64Array(T * C);
  ids.forEach((id, t) => h.set(emb.subarray(id * C, (id + 1) * C), t * C));
  // rotate_half on (t, head) rows of D.
  const rope = (x: Float64Array, heads: number): void => {
    for (let t = 0; t < T; t++)
      for (let hh = 0; hh < heads; hh++) {
        const o = (t * heads + hh) * D;
        const row = x.slice(o, o + D);
        for (let i = 0; i < D; i++) {
          const f = invFreq[i % (D / 2)] * t;
          const cos = Math.cos(f) * scaling;
          const sin = Math.sin(f) * scaling;
          const rotated = i < D / 2 ? -row[i + D / 2] : row[i - D / 2];
          x[o + i] = row[i] * cos + rotated * sin;
        }
      }
  };
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    const bias = (n: string): Float64Array | undefined =>
      w.tensors.has(`${p}self_attn.${n}_proj.bias`) ? get(w, `${p}self_attn.${n}_proj.bias`) : undefined;
    const x = rmsRows(h, get(w, `${p}input_layernorm.weight`), C, eps);
    let q = matmulT(x, T, get(w, `${p}self_attn.q_proj.weight`), H * D, C, bias('q'));
    let k = matmulT(x, T, get(w, `${p}self_attn.k_proj.weight`), K * D, C, bias('k'));
    const v = matmulT(x, T, get(w, `${p}self_attn.v_proj.weight`), K * D, C, bias('v'));
    if (arch === 'Qwen3ForCausalLM') {
      q = rmsRows(q, get(w, `${p}self_attn.q_norm.weight`), D, eps);
      k = rmsRows(k, get(w, `${p}self_attn.k_norm.weight`), D, eps);
    }
    rope(q, H);
    rope(k, K);
    const a = new Float64Array(T * H * D);
    for (let hh = 0; hh < H; hh++) {
      const kh = Math.floor(hh / (H / K));
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[(t * H + hh) * D + d] * k[(j * K + kh) * D + d];
          scores.push(s / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((x1, y1) => x1 + y1, 0);
        for (let j = 0; j <= t; j++)
          for (let d = 0; d < D; d++) a[(t * H + hh) * D + d] += (e[j] / z) * v[(j * K + kh) * D + d];
      }
    }
    const o = matmulT(a, T, get(w, `${p}self_attn.o_proj.weight`), C, H * D);
    h = h.map((x1, i) => x1 + o[i]);
    const x2 = rmsRows(h, get(w, `${p}post_attention_layernorm.weight`), C, eps);
    const g = matmulT(x2, T, get(w, `${p}mlp.gate_proj.weight`), F, C);
    const u = matmulT(x2, T, get(w, `${p}mlp.up_proj.weight`), F, C);
    const s = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
    const down = matmulT(s, T, get(w, `${p}mlp.down_proj.weight`), C, F);
    h = h.map((x1, i) => x1 + down[i]);
  }
  const final = rmsRows(h, get(w, 'model.norm.weight'), C, eps);
  const tied = cfg.tie_word_embeddings === true;
  return matmulT(final, T, get(w, tied ? 'model.embed_tokens.weight' : 'lm_head.weight'), V, C);
}
