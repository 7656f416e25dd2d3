// The LLaMA-family forward pass over the shared block (block.ts), so one code path serves evaluation
// (no tape: nothing kept alive), pruning criteria (block hooks, activation gradients) and training
// (a tape, gradients for the parameters made trainable, LoRA-wrapped Linears).
import { f32ToBf16 } from '../native/index.js';
import { crossEntropy } from '../tensor/ops/cross-entropy.js';
import { linear } from '../tensor/ops/linear.js';
import type { Tape } from '../tensor/tape.js';
import type { FloatArray, FloatKind, Weight } from '../tensor/tensor.js';
import { Tensor, isTensor } from '../tensor/tensor.js';
import { weightValues } from '../tensor/weight-values.js';
import type { BlockWeightSource, Projection } from './block.js';
import { batchShape, defaultPositions, embed, runBlock, runHead, runLogits } from './block.js';
import type { LlamaConfig } from './config.js';
import { loraLinear } from './lora-linear.js';
import type { LoraAdapter } from './lora-linear.js';
import type { ModelWeights } from './weights.js';

export { defaultPositions };

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
  /**
   * 'bf16': mixed-precision training, as PyTorch trains a bf16 checkpoint: trainable matrices keep an
   * f32 master for the optimizer and a bf16 copy every product reads (forward, dX and dW from
   * bf16-rounded operands, f32 accumulation). 'f32' (default): exact f32 products.
   */
  compute?: 'f32' | 'bf16';
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
    const t = new Tensor(w.shape, data, trainable);
    if (trainable && options.compute === 'bf16' && kind === 'f32' && w.shape.length === 2)
      t.bf16 = f32ToBf16(data as Float32Array);
    weights.set(name, t);
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
  /**
   * (B,T) next-token targets, -1 ignored; when given the result carries the mean loss, and the logits
   * only with keepLogits (the head and its loss then run chunk by chunk, never holding them whole).
   */
  targets?: Int32Array;
  /** With targets: return the logits as well (distillation reads them). */
  keepLogits?: boolean;
  /** Records the ops for backward; omit to run with no grad and keep nothing alive. */
  tape?: Tape;
  /** Replaces the token embedding lookup with these (B·T, C) embeddings (HF's inputs_embeds). */
  inputEmbeds?: Tensor;
  /** Makes the embeddings require a gradient so every activation gets one, and keeps theirs after backward. */
  activationGrads?: boolean;
  hooks?: BlockHooks;
  /** Uniform [0,1) source for LoRA dropout; given only while training (no dropout without it). */
  loraDropout?: () => number;
}

export interface LlamaForwardResult {
  /** [B·T, vocab]; absent when targets were given without keepLogits. */
  logits?: Tensor;
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
  options: LlamaForwardOptions & ({ targets?: undefined } | { keepLogits: true }),
): LlamaForwardResult & { logits: Tensor };
export function llamaForward(
  model: LlamaModel,
  ids: Int32Array,
  options: LlamaForwardOptions,
): LlamaForwardResult;
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
  const shape = batchShape(c, B, T, positions, o.paddingMask ?? null);
  const src: BlockWeightSource = { config: c, get: (n) => model.weights.get(n) };
  // A Linear of the blocks, wrapped by its LoRA adapter when the model carries one.
  const project: Projection = (x, name, bias) => {
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
    embeddings = embed(src, ids, model.kind);
  }
  if (o.activationGrads && o.tape) embeddings.requiresGrad = embeddings.retainGrad = true;

  let h = embeddings; // (B·T, C)
  for (let layer = 0; layer < c.numLayers; layer++) {
    o.hooks?.blockInput?.(layer, h);
    h = runBlock(src, layer, h, shape, { project });
    o.hooks?.blockOutput?.(layer, h);
  }
  if (o.targets && !o.keepLogits) {
    const ce = runHead(src, h, o.targets);
    return { embeddings, loss: ce.loss, nllSum: ce.nllSum, tokenCount: ce.count };
  }
  const logits = runLogits(src, h);
  if (!o.targets) return { logits, embeddings };
  const ce = crossEntropy(logits, o.targets);
  return { logits, embeddings, loss: ce.loss, nllSum: ce.nllSum, tokenCount: ce.count };
}
