// The models `bench generate` measures: a checkpoint with its tokenizer, or the synthetic 2048-wide
// benchmark model, whole or pruned 20% in depth or in width at the same parameter budget.
import { inferenceOf, openModel } from '../pipeline/open-model.js';
import { LlamaInference } from '../model/inference.js';
import type { FloatDType, ModelWeights } from '../model/weights.js';
import { removeBlocks } from '../prune/cut.js';
import { parseRemoveTarget } from '../prune/plan.js';
import { widthPrune } from '../prune/width/width-prune.js';
import type { BenchModel } from './generate.js';
import { syntheticLlama } from './synthetic-model.js';

const SYNTHETIC = /^synthetic-2048(?::(depth|width)=([^:]+))?(?::(f32|bf16|f16))?$/;

/**
 * `synthetic-2048[:depth=20%|:width=20%][:f32|bf16|f16]`, or null for any other spec. Depth drops
 * the blocks just before the last one (which blocks go does not change the speed); width removes
 * the same parameter count by magnitude. The prompt is BOS then its UTF-8 bytes as LLaMA's
 * byte-fallback ids (3 + byte), since a random model has no tokenizer. `bases` shares the
 * unpruned weights between specs of one dtype.
 */
export function syntheticBenchModel(
  spec: string,
  prompt: string,
  bases: Map<string, ModelWeights>,
): BenchModel | null {
  const m = SYNTHETIC.exec(spec);
  if (!m) return null;
  const dtype = (m[3] ?? 'f32') as FloatDType;
  let base = bases.get(dtype);
  if (!base) {
    base = syntheticLlama({}, { dtype, seed: 1 });
    bases.set(dtype, base);
  }
  let weights = base;
  if (m[1]) {
    const blocks = parseRemoveTarget(m[2], base.config.numLayers);
    const L = base.config.numLayers;
    weights =
      m[1] === 'depth'
        ? removeBlocks(
            base,
            Array.from({ length: blocks }, (_, i) => L - 1 - blocks + i),
          )
        : widthPrune(base, blocks, 'magnitude', null).weights;
  }
  const promptIds = [base.config.bosTokenId, ...Array.from(new TextEncoder().encode(prompt), (b) => 3 + b)];
  return { name: spec, inference: new LlamaInference(weights, spec), promptIds };
}

/** Opens every spec; the synthetic ones share their unpruned weights. */
export function openBenchModels(specs: string[], prompt: string, tokenizer?: string): BenchModel[] {
  const bases = new Map<string, ModelWeights>();
  return specs.map((spec): BenchModel => {
    const s = syntheticBenchModel(spec, prompt, bases);
    if (s) return s;
    const m = openModel(spec, { tokenizer });
    return {
      name: spec,
      inference: inferenceOf(m),
      promptIds: [m.tokenizer.bosId, ...m.tokenizer.encode(prompt)],
    };
  });
}
