// The LLaMA forward pass built from tensor ops, so one code path serves evaluation (no tape:
// nothing kept alive), pruning criteria (block hooks, activation gradients) and training (a tape,
// gradients for the parameters made trainable). Follows HF's modeling_llama.py step for step.
import { add } from '../tensor/ops/add.js';
import { attention } from '../tensor/ops/attention.js';
import { crossEntropy } from '../tensor/ops/cross-entropy.js';
import { embedding } from '../tensor/ops/embedding.js';
import { linear } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/rmsnorm.js';
import { rope } from '../tensor/ops/rope.js';
import { siluGate } from '../tensor/ops/silu-gate.js';
import type { Tape } from '../tensor/tape.js';
import type { FloatArray, FloatKind, Weight } from '../tensor/tensor.js';
import { Tensor, isTensor } from '../tensor/tensor.js';
import { weightValues } from '../tensor/weight-values.js';
import type { LlamaConfig } from './config.js';
import { loraLinear } from './lora-linear.js';
import type { LoraAdapter } from './lora-linear.js';
import type { ModelWeights } from './weights.js';
import { layerPrefix } from './weights.js';

/** A model ready to run: every weight by its HF name, frozen ones as stored, trainable ones as f32/f64 Tensors. */
export interface LlamaModel {
  config: LlamaConfig;
  /** The float type activations are computed in. */
  kind: FloatKind;
  weights: Map<string, Weight>;
  /** LoRA adapters by the name of the Linear weight they wrap (e.g. `model.layers.0.self_attn.q_proj.weight`). */
  lora?: Map<string, LoraAdapter>;
}

export interface BuildModelOptions {
  /** 'f32' (default) runs the native kernels; 'f64' is for gradient checks and widens every weight. */
  kind?: FloatKind;
  /** Weights to copy into trainable Tensors (with gradients); all others stay frozen. */
  trainable?: Iterable<string> | ((name: string) => boolean);
}

/**
 * Wraps loaded weights for the forward pass. In f32 mode frozen weights are used in place (an
 * mmapped bf16 matrix stays bf16, with no gradient memory); trainable ones are copied to f32.
 */
export function buildModel(source: ModelWeights, options: BuildModelOptions = {}): LlamaModel {
  const kind = options.kind ?? 'f32';
  const t = options.trainable;
  const set = t === undefined || typeof t === 'function' ? null : new Set(t);
  const isTrainable = (name: string): boolean =>
    set ? set.has(name) : t ? (t as (n: string) => boolean)(name) : false;
  if (set)
    for (const name of set)
      if (!source.tensors.has(name))
        throw new Error(`buildModel: no weight named '${name}' to make trainable`);
  const weights = new Map<string, Weight>();
  for (const [name, w] of source.tensors) {
    const trainable = isTrainable(name);
    if (!trainable && kind === 'f32') {
      weights.set(name, w);
      continue;
    }
    // A private copy: training must never write into the (possibly mmapped) source.
    const values = weightValues(w, kind);
    const data: FloatArray = kind === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
    weights.set(name, new Tensor(w.shape, data, trainable));
  }
  return { config: source.config, kind, weights };
}

/** The model's trainable parameters by name (those whose gradients a backward pass fills). */
export function trainableParameters(model: LlamaModel): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, w] of model.weights) if (isTensor(w) && w.requiresGrad) out.set(name, w);
  return out;
}

export interface BlockHooks {
  /** Called with the hidden state [B·T, C] entering block `layer`. */
  blockInput?(layer: number, hidden: Tensor): void;
  /** Called with the hidden state [B·T, C] leaving block `layer` (the next block's input). */
  blockOutput?(layer: number, hidden: Tensor): void;
}

export interface LlamaForwardOptions {
  batch: number;
  seqLen: number;
  /** (B,T), nonzero marks padding: never attended to, and ignored by the default targets. */
  paddingMask?: Uint8Array;
  /** (B,T) rotary positions; default counts non-padding tokens before each one (left padding aware). */
  positions?: Int32Array;
  /** (B,T) next-token targets, -1 ignored; when given the result carries the mean loss. */
  targets?: Int32Array;
  /** Records the ops for backward; omit to run with no grad and keep nothing alive. */
  tape?: Tape;
  /** Replaces the token embedding lookup with these (B·T, C) embeddings (HF's inputs_embeds). */
  inputEmbeds?: Tensor;
  /** Makes the embeddings require a gradient so every activation gets one (e.g. Taylor criteria). */
  activationGrads?: boolean;
  hooks?: BlockHooks;
  /** Uniform [0,1) source for LoRA dropout; given only while training (no dropout without it). */
  loraDropout?: () => number;
}

export interface LlamaForwardResult {
  /** [B·T, vocab]. */
  logits: Tensor;
  /** The (B·T, C) embeddings fed to block 0. */
  embeddings: Tensor;
  /** Scalar mean NLL over non-ignored targets, when targets were given. */
  loss?: Tensor;
  /** Σ NLL and the number of scored tokens, for exact perplexity across batches. */
  nllSum?: number;
  tokenCount?: number;
}

function weight(model: LlamaModel, name: string): Weight {
  const w = model.weights.get(name);
  if (!w) throw new Error(`llamaForward: missing weight '${name}'`);
  return w;
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

/** Next-token targets for ids (B,T): ids shifted left, -1 at each row's end and where either token is padding. */
export function nextTokenTargets(
  ids: Int32Array,
  batch: number,
  seqLen: number,
  paddingMask?: Uint8Array,
): Int32Array {
  const targets = new Int32Array(batch * seqLen).fill(-1);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < seqLen; t++) {
      const i = b * seqLen + t;
      if (paddingMask && (paddingMask[i] || paddingMask[i + 1])) continue;
      targets[i] = ids[i + 1];
    }
  }
  return targets;
}

/** Runs the model on token ids (B,T), row-major; see LlamaForwardOptions. */
export function llamaForward(
  model: LlamaModel,
  ids: Int32Array,
  options: LlamaForwardOptions,
): LlamaForwardResult {
  const run = (): LlamaForwardResult => forward(model, ids, options);
  return options.tape ? options.tape.run(run) : run();
}

function forward(model: LlamaModel, ids: Int32Array, o: LlamaForwardOptions): LlamaForwardResult {
  const c = model.config;
  const { batch: B, seqLen: T } = o;
  const N = B * T;
  if (ids.length !== N) throw new RangeError(`llamaForward: ${ids.length} ids for batch ${B} × seqLen ${T}`);
  for (const [what, a] of [
    ['paddingMask', o.paddingMask],
    ['positions', o.positions],
    ['targets', o.targets],
  ] as const)
    if (a && a.length !== N)
      throw new RangeError(`llamaForward: ${what} has ${a.length} entries, expected ${N}`);
  const positions = o.positions ?? defaultPositions(B, T, o.paddingMask);
  const keyPadding = o.paddingMask ?? null;
  const shape = { batch: B, seqLen: T, numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim };
  const prunedAttention = new Set(c.prunedAttention);
  const prunedMlp = new Set(c.prunedMlp);
  const optional = (name: string): Weight | null => model.weights.get(name) ?? null;
  // A Linear of the blocks, wrapped by its LoRA adapter when the model carries one.
  const project = (x: Tensor, name: string, bias: Weight | null = null): Tensor => {
    const adapter = model.lora?.get(name);
    const w = weight(model, name);
    return adapter ? loraLinear(x, w, bias, adapter, o.loraDropout) : linear(x, w, bias);
  };

  let embeddings: Tensor;
  if (o.inputEmbeds) {
    if (o.inputEmbeds.size !== N * c.hiddenSize || o.inputEmbeds.kind !== model.kind)
      throw new RangeError(`llamaForward: inputEmbeds must be ${model.kind} [${N}, ${c.hiddenSize}]`);
    embeddings = o.inputEmbeds;
  } else {
    embeddings = embedding(weight(model, 'model.embed_tokens.weight'), ids, model.kind);
  }
  if (o.activationGrads && o.tape) embeddings.requiresGrad = true;

  let h = embeddings; // (B·T, C)
  for (let layer = 0; layer < c.numLayers; layer++) {
    const p = layerPrefix(layer);
    o.hooks?.blockInput?.(layer, h);
    if (!prunedAttention.has(layer)) {
      const x = rmsnorm(h, weight(model, `${p}input_layernorm.weight`), c.rmsNormEps);
      const q = project(x, `${p}self_attn.q_proj.weight`, optional(`${p}self_attn.q_proj.bias`));
      const k = project(x, `${p}self_attn.k_proj.weight`, optional(`${p}self_attn.k_proj.bias`));
      const v = project(x, `${p}self_attn.v_proj.weight`, optional(`${p}self_attn.v_proj.bias`));
      const a = attention(
        rope(q, positions, c.headDim, c.ropeTheta),
        rope(k, positions, c.headDim, c.ropeTheta),
        v,
        shape,
        keyPadding,
      );
      h = add(h, project(a, `${p}self_attn.o_proj.weight`));
    }
    if (!prunedMlp.has(layer)) {
      const x = rmsnorm(h, weight(model, `${p}post_attention_layernorm.weight`), c.rmsNormEps);
      const gate = project(x, `${p}mlp.gate_proj.weight`);
      const up = project(x, `${p}mlp.up_proj.weight`);
      h = add(h, project(siluGate(gate, up), `${p}mlp.down_proj.weight`));
    }
    o.hooks?.blockOutput?.(layer, h);
  }
  const final = rmsnorm(h, weight(model, 'model.norm.weight'), c.rmsNormEps);
  const head = c.tieWordEmbeddings
    ? weight(model, 'model.embed_tokens.weight')
    : (optional('lm_head.weight') ?? weight(model, 'model.embed_tokens.weight'));
  const logits = linear(final, head);
  if (!o.targets) return { logits, embeddings };
  const ce = crossEntropy(logits, o.targets);
  return { logits, embeddings, loss: ce.loss, nllSum: ce.nllSum, tokenCount: ce.count };
}
