// A tiny random LLaMA and random rows for the healing tests (fast enough to train in milliseconds).
import type { LlamaConfig } from '../../src/model/config.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { randomLlamaWeights } from '../../src/heal/random-init.js';
import type { TrainingExample } from '../../src/text/packing.js';
import { shiftedTargets } from '../../src/text/packing.js';
import { mulberry32 } from '../helpers/random.js';

export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    architecture: 'llama',
    vocabSize: 24,
    hiddenSize: 16,
    intermediateSize: 20,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxSeqLen: 64,
    tieWordEmbeddings: false,
    attentionBias: false,
    qkNorm: false,
    ropeScaling: null,
    ropeFreqFactors: null,
    bosTokenId: 1,
    eosTokenId: 2,
    prunedAttention: [],
    prunedMlp: [],
    ...overrides,
  };
}

export function tinyWeights(seed = 1, overrides: Partial<LlamaConfig> = {}): ModelWeights {
  return randomLlamaWeights(tinyConfig(overrides), seed, 0.2);
}

/** Rows of varying length (so micro-batches carry padding), some with a masked prefix. */
export function randomRows(n: number, seed: number, vocab = 24): TrainingExample[] {
  const rand = mulberry32(seed);
  const rows: TrainingExample[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + Math.floor(rand() * 6);
    const ids = new Int32Array(len);
    // A learnable pattern: each token follows from the previous one most of the time.
    ids[0] = 1;
    for (let t = 1; t < len; t++)
      ids[t] = rand() < 0.8 ? (ids[t - 1] * 3 + 1) % vocab : Math.floor(rand() * vocab);
    const targets = shiftedTargets(ids);
    if (i % 3 === 0) targets.fill(-1, 0, 2);
    rows.push({ ids, targets });
  }
  return rows;
}
