// A fresh LLaMA from a configuration, initialized as Hugging Face's LlamaPreTrainedModel does
// (_init_weights): every Linear and the embedding normal with std 0.02 (initializer_range), norms 1.
import { expectedTensorShapes } from '../formats/model-tensors.js';
import type { LlamaConfig } from '../model/config.js';
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { elementCount } from '../model/weights.js';
import { TrainingRng } from './rng.js';

export function randomLlamaWeights(config: LlamaConfig, seed: number, std = 0.02): ModelWeights {
  const rng = new TrainingRng(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const data = new Float32Array(elementCount(shape));
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    tensors.set(name, { dtype: 'f32', shape, data });
  }
  return { config, tensors };
}
