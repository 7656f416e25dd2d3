// `shorten lora`: LoRA on a frozen base model, saved as a PEFT adapter (the final one in the run
// folder, the best by validation loss under best/).
import { readFileSync } from 'node:fs';
import { peftLoraConfig, writePeftAdapter } from '../formats/peft-adapter.js';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import type { AdapterPair } from '../formats/peft-adapter.js';
import { buildModel } from '../model/llama-forward.js';
import type { LoraAdapter } from '../model/lora-linear.js';
import type { ModelWeights } from '../model/weights.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { createLoraAdapters, loraParameters, loraTargets } from './lora.js';
import type { LoraSettings } from './lora.js';
import { TrainingRng } from './rng.js';
import type { RunSettings } from './run-settings.js';
import { defaultValSize, loadTrainingRows, splitValidation } from './training-data.js';
import { trainLoop } from './train-loop.js';
import type { TrainResult } from './train-loop.js';

export interface LoraRunSettings extends RunSettings, LoraSettings {
  data: string[];
  trainOnInputs: boolean;
  /** base_model_name_or_path in adapter_config.json. */
  base: string | null;
}

export function adapterPairs(adapters: Map<string, LoraAdapter>): Map<string, AdapterPair> {
  const pairs = new Map<string, AdapterPair>();
  for (const [name, ad] of adapters)
    pairs.set(name, {
      a: { dtype: 'f32', shape: [...ad.a.shape], data: Float32Array.from(ad.a.data) },
      b: { dtype: 'f32', shape: [...ad.b.shape], data: Float32Array.from(ad.b.data) },
    });
  return pairs;
}

export function runLora(
  weights: ModelWeights,
  tokenizer: Tokenizer,
  s: LoraRunSettings,
): { result: TrainResult; adapters: Map<string, LoraAdapter> } {
  refuseOutputOverInput(s.out, { mapped: true });
  const rows = loadTrainingRows(s.data, tokenizer, { seqLen: s.seqLen, trainOnInputs: s.trainOnInputs });
  const { train, val } = splitValidation(rows, s.valSize ?? defaultValSize(rows.length), s.seed);
  const model = buildModel(weights, { kind: 'f32' });
  // The adapters' initialization draws from its own stream, so the training stream starts at the seed.
  const adapters = createLoraAdapters(
    weights,
    loraTargets(weights.config, s.targetModules),
    s,
    new TrainingRng(s.seed ^ 0x10ba),
  );
  model.lora = adapters;
  const params = loraParameters(adapters);
  const config = peftLoraConfig({
    base: s.base,
    r: s.r,
    alpha: s.alpha,
    dropout: s.dropout,
    targetModules: s.targetModules,
  });
  const result = trainLoop({
    model,
    params,
    train,
    val,
    batchSize: s.batchSize,
    microBatch: s.microBatch,
    budget: { epochs: s.epochs, maxSteps: s.maxSteps, maxTokens: s.maxTokens },
    lr: s.lr,
    warmupSteps: s.warmupSteps,
    decay: 'linear',
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: s.weightDecay },
    maxGradNorm: s.maxGradNorm,
    seed: s.seed,
    dropout: s.dropout > 0,
    saveEvery: s.saveEvery,
    evalEvery: s.evalEvery,
    outDir: s.out,
    resume: s.resume,
    skipNonfinite: s.skipNonfinite,
    run: runRecord(s, rows.length, config),
    exportBest: (dir) => writePeftAdapter(dir, config, adapterPairs(adapters)),
    onStep: s.onStep,
    progress: s.progress,
  });
  writePeftAdapter(s.out, config, adapterPairs(adapters));
  return { result, adapters };
}

/** What must not change between a run and its resume. */
function runRecord(s: LoraRunSettings, rows: number, config: object): Record<string, unknown> {
  return {
    kind: 'lora',
    data: s.data.map((f) => ({ file: f, bytes: readFileSync(f).length })),
    rows,
    adapter: config,
    seed: s.seed,
    batchSize: s.batchSize,
    microBatch: s.microBatch,
    seqLen: s.seqLen,
    lr: s.lr,
    warmupSteps: s.warmupSteps,
    epochs: s.epochs,
    maxSteps: s.maxSteps ?? null,
    maxTokens: s.maxTokens ?? null,
    weightDecay: s.weightDecay,
    trainOnInputs: s.trainOnInputs,
    valSize: s.valSize ?? null,
  };
}
