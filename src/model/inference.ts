// The inference forward: runs new tokens of a batch through the model against a KV cache,
// for prefill (many tokens per row) and decode (one per row). No autograd, no tape: buffers
// are reused between steps and every product goes to the native kernels.
import type { LlamaConfig } from './config.js';
import { KVCache } from './kv-cache.js';
import { matmulWeight } from './matmul.js';
import { copyWeightRow, freshF32 } from '../tensor/weight-values.js';
import {
  cachedAttentionForwardF32,
  crossEntropyForwardF32,
  rmsnormForwardF32,
  ropeForwardF32,
  siluGateForwardF32,
} from '../native/ops.js';
import { maxPosition, rotaryTable } from './rotary.js';
import { scoredTargets } from '../tensor/ops/cross-entropy.js';
import { HEAD_MATERIALIZE_BYTES, headChunkRows } from '../tensor/ops/linear-cross-entropy.js';
import { layerPrefix, requireTensor } from './weights.js';
import type { ModelWeights, WeightTensor } from './weights.js';

interface BlockWeights {
  inputNorm: Float32Array | null;
  q: WeightTensor | null;
  k: WeightTensor | null;
  v: WeightTensor | null;
  qBias: Float32Array | null;
  kBias: Float32Array | null;
  vBias: Float32Array | null;
  qNorm: Float32Array | null;
  kNorm: Float32Array | null;
  o: WeightTensor | null;
  postNorm: Float32Array | null;
  gate: WeightTensor | null;
  up: WeightTensor | null;
  down: WeightTensor | null;
}

/** A norm vector or bias as f32 (these are small, so widening them once costs nothing). */
function vectorF32(t: WeightTensor): Float32Array {
  return freshF32(t);
}

export interface ForwardOptions {
  /** Per batch row, how many leading cache positions are left padding (never attended). */
  padding?: Int32Array;
  /** Return logits of each row's last new token only ([batch, vocab]) instead of every token. */
  lastOnly?: boolean;
}

export class LlamaInference {
  readonly config: LlamaConfig;
  private readonly embed: WeightTensor;
  private readonly finalNorm: Float32Array;
  private readonly lmHead: WeightTensor;
  private readonly blocks: BlockWeights[] = [];
  /** Activation buffers by role, kept while the row count stays the same (every decode step). */
  private readonly work = new Map<string, Float32Array>();

  constructor(
    readonly weights: ModelWeights,
    readonly source = 'model',
  ) {
    const c = weights.config;
    this.config = c;
    this.embed = requireTensor(weights, 'model.embed_tokens.weight', source);
    this.finalNorm = vectorF32(requireTensor(weights, 'model.norm.weight', source));
    this.lmHead = c.tieWordEmbeddings ? this.embed : requireTensor(weights, 'lm_head.weight', source);
    for (let l = 0; l < c.numLayers; l++) {
      const p = layerPrefix(l);
      const get = (n: string) => requireTensor(weights, p + n, source);
      const opt = (n: string) => weights.tensors.get(p + n);
      const attn = !c.prunedAttention.includes(l);
      const mlp = !c.prunedMlp.includes(l);
      const bias = (n: string) => {
        const t = opt(n);
        return t ? vectorF32(t) : null;
      };
      this.blocks.push({
        inputNorm: attn ? vectorF32(get('input_layernorm.weight')) : null,
        q: attn ? get('self_attn.q_proj.weight') : null,
        k: attn ? get('self_attn.k_proj.weight') : null,
        v: attn ? get('self_attn.v_proj.weight') : null,
        qBias: attn ? bias('self_attn.q_proj.bias') : null,
        kBias: attn ? bias('self_attn.k_proj.bias') : null,
        vBias: attn ? bias('self_attn.v_proj.bias') : null,
        qNorm: attn && c.qkNorm ? vectorF32(get('self_attn.q_norm.weight')) : null,
        kNorm: attn && c.qkNorm ? vectorF32(get('self_attn.k_norm.weight')) : null,
        o: attn ? get('self_attn.o_proj.weight') : null,
        postNorm: mlp ? vectorF32(get('post_attention_layernorm.weight')) : null,
        gate: mlp ? get('mlp.gate_proj.weight') : null,
        up: mlp ? get('mlp.up_proj.weight') : null,
        down: mlp ? get('mlp.down_proj.weight') : null,
      });
    }
  }

  newCache(batch: number, capacity: number): KVCache {
    return new KVCache(this.config, batch, capacity);
  }

  /**
   * Runs `ids` ([batch × steps] row-major) as the next `steps` tokens of each row, appending
   * their keys and values to `cache`. Returns logits [batch × steps, vocab] (or [batch, vocab]).
   */
  forward(ids: Int32Array, batch: number, cache: KVCache, opts: ForwardOptions = {}): Float32Array {
    const { normed, rows } = this.finalHidden(ids, batch, cache, opts);
    const logits = new Float32Array(rows * this.config.vocabSize);
    matmulWeight(normed, rows, this.lmHead, logits);
    return logits;
  }

  /**
   * Runs `ids` as forward does and returns each token's next-token NLL against `targets` (one per
   * token, -1: not scored, 0 returned), with the LM head taken over chunks of rows (chunkRows, or
   * 64 MiB of logits each once they would pass HEAD_MATERIALIZE_BYTES) so the [tokens, vocabulary]
   * logits never exist whole (8 rows × 2048 tokens × 128256 words: 8.4 GB).
   */
  tokenNll(
    ids: Int32Array,
    batch: number,
    cache: KVCache,
    targets: Int32Array,
    chunkRows?: number,
  ): Float32Array {
    const V = this.config.vocabSize;
    scoredTargets('tokenNll', targets, ids.length, V);
    const { normed, rows } = this.finalHidden(ids, batch, cache, {});
    const d = this.config.hiddenSize;
    // Logits small enough to keep go in one product (each chunk reads the head again).
    const whole = rows * V * 4 <= HEAD_MATERIALIZE_BYTES;
    const R = Math.max(1, Math.min(rows, chunkRows ?? (whole ? rows : headChunkRows(V, 4))));
    // Kept between calls like every work buffer (up to 256 MiB); releaseWork() hands them back.
    const logits = this.buffer('headChunk', R * V);
    const lse = this.buffer('headLse', R);
    const nll = new Float32Array(rows);
    for (let r0 = 0; r0 < rows; r0 += R) {
      const n = Math.min(R, rows - r0);
      const z = logits.subarray(0, n * V);
      matmulWeight(normed.subarray(r0 * d, (r0 + n) * d), n, this.lmHead, z);
      crossEntropyForwardF32(
        nll.subarray(r0, r0 + n),
        lse.subarray(0, n),
        z,
        targets.subarray(r0, r0 + n),
        n,
        V,
      );
    }
    return nll;
  }

  /** The blocks and the final norm over the new tokens: normed [rows, hidden] (rows: every token, or each row's last). */
  private finalHidden(
    ids: Int32Array,
    batch: number,
    cache: KVCache,
    opts: ForwardOptions,
  ): { normed: Float32Array; rows: number } {
    const c = this.config;
    const steps = ids.length / batch;
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`forward: ${ids.length} ids do not split into ${batch} rows`);
    if (cache.batch !== batch) throw new RangeError(`forward: cache holds ${cache.batch} rows, got ${batch}`);
    if (cache.length + steps > cache.capacity)
      throw new RangeError(`forward: cache capacity ${cache.capacity} exceeded (${cache.length} + ${steps})`);
    const n = batch * steps;
    const d = c.hiddenSize;
    const x = this.buffer('x', n * d);
    this.embedTokens(ids, x);
    const positions = new Int32Array(n);
    for (let b = 0; b < batch; b++) {
      const pad = opts.padding ? opts.padding[b] : 0;
      for (let t = 0; t < steps; t++) positions[b * steps + t] = Math.max(0, cache.length + t - pad);
    }
    // Keys already cached keep the rotation they got (as transformers' dynamic NTK does too).
    const rotary = rotaryTable(c, maxPosition(positions));
    const xn = this.buffer('xn', n * d);
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const q = this.buffer('q', n * qDim);
    const k = this.buffer('k', n * kvDim);
    const v = this.buffer('v', n * kvDim);
    const attnOut = this.buffer('attnOut', n * qDim);
    const gate = this.buffer('gate', n * c.intermediateSize);
    const up = this.buffer('up', n * c.intermediateSize);
    const rms = this.buffer('rms', n);
    for (let l = 0; l < c.numLayers; l++) {
      const w = this.blocks[l];
      if (w.inputNorm && w.q && w.k && w.v && w.o) {
        rmsnormForwardF32(xn, rms, x, w.inputNorm, n, d, c.rmsNormEps);
        matmulWeight(xn, n, w.q, q);
        matmulWeight(xn, n, w.k, k);
        matmulWeight(xn, n, w.v, v);
        if (w.qBias) addBias(q, w.qBias, n);
        if (w.kBias) addBias(k, w.kBias, n);
        if (w.vBias) addBias(v, w.vBias, n);
        if (w.qNorm && w.kNorm) {
          const rmsHeads = this.buffer('rmsHeads', n * c.numHeads);
          rmsnormForwardF32(q, rmsHeads, q, w.qNorm, n * c.numHeads, c.headDim, c.rmsNormEps);
          rmsnormForwardF32(k, rmsHeads, k, w.kNorm, n * c.numKvHeads, c.headDim, c.rmsNormEps);
        }
        ropeForwardF32(q, q, positions, n, c.numHeads, c.headDim, rotary.invFreq, rotary.scale);
        ropeForwardF32(k, k, positions, n, c.numKvHeads, c.headDim, rotary.invFreq, rotary.scale);
        this.storeKV(cache, l, k, v, batch, steps);
        cachedAttentionForwardF32(
          attnOut,
          q,
          cache.keys[l],
          cache.values[l],
          opts.padding ?? null,
          batch,
          steps,
          c.numHeads,
          c.numKvHeads,
          c.headDim,
          cache.capacity,
          cache.length,
        );
        matmulWeight(attnOut, n, w.o, x, 1);
      }
      if (w.postNorm && w.gate && w.up && w.down) {
        rmsnormForwardF32(xn, rms, x, w.postNorm, n, d, c.rmsNormEps);
        matmulWeight(xn, n, w.gate, gate);
        matmulWeight(xn, n, w.up, up);
        siluGateForwardF32(gate, gate, up, gate.length);
        matmulWeight(gate, n, w.down, x, 1);
      }
    }
    cache.length += steps;
    let rows = n;
    let hidden = x;
    if (opts.lastOnly) {
      rows = batch;
      hidden = this.buffer('hidden', batch * d);
      for (let b = 0; b < batch; b++)
        hidden.set(x.subarray(((b + 1) * steps - 1) * d, (b + 1) * steps * d), b * d);
    }
    const normed = this.buffer('normed', rows * d);
    rmsnormForwardF32(normed, this.buffer('rmsFinal', rows), hidden, this.finalNorm, rows, d, c.rmsNormEps);
    return { normed, rows };
  }

  /** Drops every kept activation buffer (a caller done with a long job, such as perplexity over a corpus). */
  releaseWork(): void {
    this.work.clear();
  }

  /** The buffer for `role` with exactly `size` floats; its contents are whatever the last step left. */
  private buffer(role: string, size: number): Float32Array {
    let b = this.work.get(role);
    if (!b || b.length !== size) {
      b = new Float32Array(size);
      this.work.set(role, b);
    }
    return b;
  }

  private embedTokens(ids: Int32Array, x: Float32Array): void {
    const d = this.config.hiddenSize;
    const e = this.embed;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.config.vocabSize))
        throw new RangeError(`token id ${id} outside the vocabulary`);
      copyWeightRow(e, id, d, x, i * d);
    }
  }

  private storeKV(
    cache: KVCache,
    l: number,
    k: Float32Array,
    v: Float32Array,
    batch: number,
    steps: number,
  ): void {
    const c = this.config;
    const hd = c.headDim;
    const kvDim = c.numKvHeads * hd;
    const keys = cache.keys[l];
    const values = cache.values[l];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) {
        const src = (b * steps + t) * kvDim;
        for (let h = 0; h < c.numKvHeads; h++) {
          const dst = cache.offset(b, h, cache.length + t);
          const from = src + h * hd;
          for (let i = 0; i < hd; i++) {
            keys[dst + i] = k[from + i];
            values[dst + i] = v[from + i];
          }
        }
      }
    }
  }
}

function addBias(t: Float32Array, bias: Float32Array, rows: number): void {
  const w = bias.length;
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) t[r * w + j] += bias[j];
}
