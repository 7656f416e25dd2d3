// Folds a PEFT LoRA adapter folder into an opened model's weights (W + alpha/r · B·A), so any command
// that measures or writes a model can take `--adapter DIR` instead of needing a merged copy first.
import { readPeftAdapter } from '../formats/peft-adapter.js';
import { mergeLora } from '../heal/lora.js';
import type { LoraAdapter } from '../model/lora-linear.js';
import { Tensor } from '../tensor/tensor.js';
import { weightValues } from '../tensor/weight-values.js';
import type { OpenedModel } from './open-model.js';

export interface AdaptedModel extends OpenedModel {
  /** How many Linears the adapter changed. */
  adaptedLinears: number;
}

export function applyAdapter(m: OpenedModel, adapterDir: string): AdaptedModel {
  const { config, pairs } = readPeftAdapter(adapterDir);
  const adapters = new Map<string, LoraAdapter>();
  for (const [name, p] of pairs)
    adapters.set(name, {
      a: new Tensor(p.a.shape, weightValues(p.a, 'f32')),
      b: new Tensor(p.b.shape, weightValues(p.b, 'f32')),
      scale: config.lora_alpha / config.r,
      dropout: 0,
    });
  let weights;
  try {
    weights = mergeLora(m.weights, adapters);
  } catch (e) {
    throw new Error(`${adapterDir}: ${(e as Error).message} (is it an adapter for ${m.source}?)`);
  }
  return { ...m, weights, source: `${m.source} + ${adapterDir}`, adaptedLinears: pairs.size };
}
