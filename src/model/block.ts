// The one LLaMA-family block forward, built from tensor ops (so a tape records its backward), with
// the switches the supported architectures differ by: q/k/v biases (Qwen2), per-head q/k RMSNorm
// (Qwen3), rotary scaling (Llama 3, YaRN, ...), pruned sublayers. The whole-model forward, the
// pruning criteria (which start from cached states, skip sublayers, recompute one block on a tape)
// and the width-pruning statistics all run blocks through here. Follows HF's modeling_llama.py /
// modeling_qwen3.py step for step.
import { add } from '../tensor/ops/add.js';
import { attention } from '../tensor/ops/attention.js';
import { linearCrossEntropy } from '../tensor/ops/linear-cross-entropy.js';
import { embedding } from '../tensor/ops/embedding.js';
import { linear } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/rmsnorm.js';
import { rope } from '../tensor/ops/rope.js';
import { siluGate } from '../tensor/ops/silu-gate.js';
import { isRecording } from '../tensor/tape.js';
import type { FloatKind, Tensor, Weight } from '../tensor/tensor.js';
import type { LlamaConfig } from './config.js';
import type { RotaryTable } from './rotary.js';
import { maxPosition, rotaryTable } from './rotary.js';
import type { ModelWeights } from './weights.js';
import { layerPrefix } from './weights.js';

/** Where the weights come from: the loaded model, with some names replaced (e.g. trainable copies). */
export interface BlockWeightSource {
  config: LlamaConfig;
  get(name: string): Weight | undefined;
}

export function weightSource(w: ModelWeights, overrides?: Map<string, Weight>): BlockWeightSource {
  return { config: w.config, get: (n) => overrides?.get(n) ?? w.tensors.get(n) };
}

/** The batch geometry every block of one forward shares: (B, T) rows, rotary positions and table. */
export interface BatchShape {
  batch: number;
  seqLen: number;
  /** (B·T) rotary positions. */
  positions: Int32Array;
  /** (B,T), nonzero marks a padding key that is never attended; null when there is none. */
  keyPadding: Uint8Array | null;
  rotary: RotaryTable;
}

/** Rotary positions HF-style: each token's index among the row's non-padding tokens. */
export function defaultPositions(batch: number, seqLen: number, paddingMask?: Uint8Array): Int32Array {
  const positions = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    let seen = 0;
    for (let t = 0; t < seqLen; t++) {
      const i = b * seqLen + t;
      if (paddingMask && paddingMask[i]) positions[i] = Math.max(seen - 1, 0);
      else positions[i] = seen++;
    }
  }
  return positions;
}

export function batchShape(
  config: LlamaConfig,
  batch: number,
  seqLen: number,
  positions: Int32Array = defaultPositions(batch, seqLen),
  keyPadding: Uint8Array | null = null,
): BatchShape {
  return { batch, seqLen, positions, keyPadding, rotary: rotaryTable(config, maxPosition(positions)) };
}

/** A Linear of a block: y = x·Wᵀ + b, or whatever the caller wraps it in (LoRA). */
export type Projection = (x: Tensor, name: string, bias: Weight | null) => Tensor;

/** Callbacks that see the inputs of a block's Linears (width-pruning statistics). */
export interface BlockTaps {
  /** The normed input of q/k/v. */
  attnInput?(x: Tensor): void;
  /** The attention output entering o_proj. */
  oInput?(a: Tensor): void;
  /** The normed input of gate/up. */
  mlpInput?(x: Tensor): void;
  /** silu(gate)·up entering down_proj. */
  downInput?(s: Tensor): void;
}

export interface BlockRunOptions {
  skipAttention?: boolean;
  skipMlp?: boolean;
  /** Called with the state between the attention and MLP sublayers. */
  onMid?(hidden: Tensor): void;
  project?: Projection;
  taps?: BlockTaps;
}

function need(src: BlockWeightSource, name: string): Weight {
  const w = src.get(name);
  if (!w) throw new Error(`model: missing weight '${name}'`);
  return w;
}

export function embed(src: BlockWeightSource, ids: Int32Array, kind: FloatKind = 'f32'): Tensor {
  return embedding(need(src, 'model.embed_tokens.weight'), ids, kind);
}

/** Block `layer` on h (B·T, C); the config's own pruned sublayers are always skipped. */
export function runBlock(
  src: BlockWeightSource,
  layer: number,
  h: Tensor,
  shape: BatchShape,
  o: BlockRunOptions = {},
): Tensor {
  const c = src.config;
  const p = layerPrefix(layer);
  const opt = (n: string): Weight | null => src.get(n) ?? null;
  const project: Projection = o.project ?? ((x, name, bias) => linear(x, need(src, name), bias));
  // With no tape, nothing keeps a block's temporaries once the next op has read them: their buffers
  // go back to the pool for the next op (and block) to take. A tape's closures hold them, so not then.
  const free = !isRecording();
  const done = (...ts: Tensor[]): void => {
    if (free) for (const t of ts) t.release();
  };
  if (!o.skipAttention && !c.prunedAttention.includes(layer)) {
    const x = rmsnorm(h, need(src, `${p}input_layernorm.weight`), c.rmsNormEps);
    o.taps?.attnInput?.(x);
    let q = project(x, `${p}self_attn.q_proj.weight`, opt(`${p}self_attn.q_proj.bias`));
    let k = project(x, `${p}self_attn.k_proj.weight`, opt(`${p}self_attn.k_proj.bias`));
    const v = project(x, `${p}self_attn.v_proj.weight`, opt(`${p}self_attn.v_proj.bias`));
    done(x);
    if (c.qkNorm) {
      // Each head's D values normalized on their own (the norm weight is D wide).
      const [q0, k0] = [q, k];
      q = rmsnorm(q0, need(src, `${p}self_attn.q_norm.weight`), c.rmsNormEps);
      k = rmsnorm(k0, need(src, `${p}self_attn.k_norm.weight`), c.rmsNormEps);
      done(q0, k0);
    }
    const qr = rope(q, shape.positions, c.headDim, shape.rotary);
    const kr = rope(k, shape.positions, c.headDim, shape.rotary);
    done(q, k);
    const a = attention(
      qr,
      kr,
      v,
      {
        batch: shape.batch,
        seqLen: shape.seqLen,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
      },
      shape.keyPadding,
    );
    done(qr, kr, v);
    o.taps?.oInput?.(a);
    const out = project(a, `${p}self_attn.o_proj.weight`, null);
    done(a);
    h = add(h, out);
    done(out);
  }
  o.onMid?.(h);
  if (!o.skipMlp && !c.prunedMlp.includes(layer)) {
    const x = rmsnorm(h, need(src, `${p}post_attention_layernorm.weight`), c.rmsNormEps);
    o.taps?.mlpInput?.(x);
    const gate = project(x, `${p}mlp.gate_proj.weight`, null);
    const up = project(x, `${p}mlp.up_proj.weight`, null);
    done(x);
    const s = siluGate(gate, up);
    done(gate, up);
    o.taps?.downInput?.(s);
    const down = project(s, `${p}mlp.down_proj.weight`, null);
    done(s);
    h = add(h, down);
    done(down);
  }
  return h;
}

/** The LM head's weight: the embedding when tied. */
export function headWeight(src: BlockWeightSource): Weight {
  return src.config.tieWordEmbeddings
    ? need(src, 'model.embed_tokens.weight')
    : (src.get('lm_head.weight') ?? need(src, 'model.embed_tokens.weight'));
}

/** Final norm and LM head: logits [B·T, vocab]. */
export function runLogits(src: BlockWeightSource, h: Tensor): Tensor {
  const final = rmsnorm(h, need(src, 'model.norm.weight'), src.config.rmsNormEps);
  return linear(final, headWeight(src));
}

/**
 * Final norm, LM head and mean next-token cross-entropy against targets (-1 ignored), the head and
 * its loss fused over chunks of rows so the logits never exist whole.
 */
export function runHead(
  src: BlockWeightSource,
  h: Tensor,
  targets: Int32Array,
): { loss: Tensor; nllSum: number; count: number } {
  const final = rmsnorm(h, need(src, 'model.norm.weight'), src.config.rmsNormEps);
  const ce = linearCrossEntropy(final, headWeight(src), targets);
  if (!isRecording()) final.release();
  return { loss: ce.loss, nllSum: ce.nllSum, count: ce.count };
}
