// Writing a trained model into a run folder without disturbing the run's other files
// (checkpoints, log): the HF folder is written whole under a temporary name, then each file is
// renamed into place.
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../text/tokenizer.js';

/** The model's weights with the trained tensors (copied, f32) in place of the originals. */
export function weightsWithTrained(base: ModelWeights, trained: Map<string, Tensor>): ModelWeights {
  const tensors = new Map<string, WeightTensor>(base.tensors);
  for (const [name, t] of trained) {
    if (!tensors.has(name)) throw new Error(`trained tensor '${name}' is not a weight of the model`);
    tensors.set(name, { dtype: 'f32', shape: [...t.shape], data: Float32Array.from(t.data) });
  }
  return { config: base.config, tensors };
}

export function saveModelInto(dir: string, weights: ModelWeights, tokenizer: Tokenizer): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.model-${process.pid}-${Date.now().toString(36)}`);
  saveModelWithTokenizer(weights, tokenizer, tmp, 'hf');
  for (const name of readdirSync(tmp)) renameSync(join(tmp, name), join(dir, name));
  rmSync(tmp, { recursive: true, force: true });
}
