// Full-parameter training on packed plain text: the paper's continued pretraining (`shorten cpt`)
// and pretraining from a random initialization (`shorten pretrain`), both writing an HF folder.
import { readFileSync } from 'node:fs';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import { buildModel, trainableParameters } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { saveModelInto, weightsWithTrained } from './model-output.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import type { RunSettings } from './run-settings.js';
import { defaultValSize, loadTrainingRows, splitValidation } from './training-data.js';
import { trainLoop } from './train-loop.js';
import type { TrainResult } from './train-loop.js';

export interface FullRunSettings extends RunSettings {
  text: string[];
  beta2: number;
  minLrRatio: number;
  kind: 'cpt' | 'pretrain';
}

/** Trains every weight; returns the trained weights (f32) and the run's result. */
export function runFullTraining(
  weights: ModelWeights,
  tokenizer: Tokenizer,
  s: FullRunSettings,
): { result: TrainResult; weights: ModelWeights } {
  refuseOutputOverInput(s.out, { mapped: true });
  const rows = loadTrainingRows(s.text, tokenizer, { seqLen: s.seqLen, trainOnInputs: true });
  const { train, val } = splitValidation(rows, s.valSize ?? defaultValSize(rows.length), s.seed);
  const model = buildModel(weights, { kind: 'f32', trainable: () => true });
  const params = trainableParameters(model);
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
    decay: 'cosine',
    minLrRatio: s.minLrRatio,
    // Norm gains take no weight decay (as GPT-style trainers do); every matrix does.
    adam: {
      beta1: 0.9,
      beta2: s.beta2,
      eps: 1e-8,
      weightDecay: s.weightDecay,
      noDecay: (n) => n.endsWith('norm.weight') || n.endsWith('.bias'),
    },
    maxGradNorm: s.maxGradNorm,
    seed: s.seed,
    dropout: false,
    saveEvery: s.saveEvery,
    evalEvery: s.evalEvery,
    outDir: s.out,
    resume: s.resume,
    skipNonfinite: s.skipNonfinite,
    run: {
      kind: s.kind,
      text: s.text.map((f) => ({ file: f, bytes: readFileSync(f).length })),
      rows: rows.length,
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
      beta2: s.beta2,
      minLrRatio: s.minLrRatio,
      valSize: s.valSize ?? null,
    },
    exportBest: (dir) => saveModelWithTokenizer(weightsWithTrained(weights, params), tokenizer, dir, 'hf'),
    onStep: s.onStep,
    progress: s.progress,
  });
  const trained = weightsWithTrained(weights, params);
  saveModelInto(s.out, trained, tokenizer);
  return { result, weights: trained };
}
