// Tiny random models and calibration sets for the pruning tests.
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import type { LlamaConfig } from '../../src/model/config.js';
import type { ModelWeights } from '../../src/model/weights.js';
import type { CalibrationSet } from '../../src/text/calibration.js';
import { mulberry32 } from '../helpers/random.js';

export function tinyModel(seed: number, overrides: Partial<LlamaConfig> = {}): ModelWeights {
  return syntheticLlama(
    {
      vocabSize: 13,
      hiddenSize: 8,
      intermediateSize: 12,
      numLayers: 4,
      numHeads: 2,
      numKvHeads: 1,
      maxSeqLen: 32,
      tieWordEmbeddings: false,
      ...overrides,
    },
    { seed, std: 0.4, normJitter: 0.2 },
  );
}

export function randomCalibration(
  seed: number,
  samples: number,
  seqLen: number,
  vocab: number,
): CalibrationSet {
  const rand = mulberry32(seed);
  return {
    source: 'random',
    settings: { samples, seqLen, seed },
    windows: Array.from({ length: samples }, (_, d) => ({
      document: d,
      start: 0,
      tokens: Array.from({ length: seqLen }, () => Math.floor(rand() * vocab)),
    })),
  };
}
