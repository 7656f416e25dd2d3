// One LLaMA block, and the head, as separate steps over a hidden state, so the criteria can start the
// model from any block (cached prefixes), skip a block or sublayer, look at the state between the two
// sublayers, and recompute one block on a tape. Same ops in the same order as llamaForward (a test
// checks that a pass through these equals it).
import { add } from '../tensor/ops/add.js';
import { attention } from '../tensor/ops/attention.js';
import { crossEntropy } from '../tensor/ops/cross-entropy.js';
import { embedding } from '../tensor/ops/embedding.js';
import { linear } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/rmsnorm.js';
import { rope } from '../tensor/ops/rope.js';
import { siluGate } from '../tensor/ops/silu-gate.js';
import type { Weight } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LlamaConfig } from '../model/config.js';
import { defaultPositions } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';
import { layerPrefix } from '../model/weights.js';

/** Where the weights come from: the loaded model, with some names replaced (e.g. trainable copies). */
export interface BlockWeightSource {
  config: LlamaConfig;
  get(name: string): Weight | undefined;
}

export function weightSource(w: ModelWeights, overrides?: Map<string, Weight>): BlockWeightSource {
  return { config: w.config, get: (n) => overrides?.get(n) ?? w.tensors.get(n) };
}

/** The batch geometry shared by every step: (B, T) rows of ids, no padding. */
export interface BatchShape {
  batch: number;
  seqLen: number;
  positions: Int32Array;
}

export function batchShape(batch: number, seqLen: number): BatchShape {
  return { batch, seqLen, positions: defaultPositions(batch, seqLen) };
}

export interface BlockRunOptions {
  skipAttention?: boolean;
  skipMlp?: boolean;
  /** Called with the state between the attention and MLP sublayers. */
  onMid?(hidden: Tensor): void;
}

function need(src: BlockWeightSource, name: string): Weight {
  const w = src.get(name);
  if (!w) throw new Error(`model: missing weight '${name}'`);
  return w;
}

export function embed(src: BlockWeightSource, ids: Int32Array): Tensor {
  return embedding(need(src, 'model.embed_tokens.weight'), ids, 'f32');
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
  if (!o.skipAttention && !c.prunedAttention.includes(layer)) {
    const x = rmsnorm(h, need(src, `${p}input_layernorm.weight`), c.rmsNormEps);
    const q = linear(x, need(src, `${p}self_attn.q_proj.weight`), opt(`${p}self_attn.q_proj.bias`));
    const k = linear(x, need(src, `${p}self_attn.k_proj.weight`), opt(`${p}self_attn.k_proj.bias`));
    const v = linear(x, need(src, `${p}self_attn.v_proj.weight`), opt(`${p}self_attn.v_proj.bias`));
    const a = attention(
      rope(q, shape.positions, c.headDim, c.ropeTheta),
      rope(k, shape.positions, c.headDim, c.ropeTheta),
      v,
      {
        batch: shape.batch,
        seqLen: shape.seqLen,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
      },
      null,
    );
    h = add(h, linear(a, need(src, `${p}self_attn.o_proj.weight`)));
  }
  o.onMid?.(h);
  if (!o.skipMlp && !c.prunedMlp.includes(layer)) {
    const x = rmsnorm(h, need(src, `${p}post_attention_layernorm.weight`), c.rmsNormEps);
    const gate = linear(x, need(src, `${p}mlp.gate_proj.weight`));
    const up = linear(x, need(src, `${p}mlp.up_proj.weight`));
    h = add(h, linear(siluGate(gate, up), need(src, `${p}mlp.down_proj.weight`)));
  }
  return h;
}

/** Final norm, LM head and mean next-token cross-entropy against targets (-1 ignored). */
export function runHead(
  src: BlockWeightSource,
  h: Tensor,
  targets: Int32Array,
): { loss: Tensor; nllSum: number; count: number } {
  const c = src.config;
  const final = rmsnorm(h, need(src, 'model.norm.weight'), c.rmsNormEps);
  const head = c.tieWordEmbeddings
    ? need(src, 'model.embed_tokens.weight')
    : (src.get('lm_head.weight') ?? need(src, 'model.embed_tokens.weight'));
  const ce = crossEntropy(linear(final, head), targets);
  return { loss: ce.loss, nllSum: ce.nllSum, count: ce.count };
}
