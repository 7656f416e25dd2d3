// The settings every healing run shares (budgets, batch, schedule, checkpoints), with the paper's
// defaults for LoRA (alpaca-lora / LLM-Pruner) and for continued pretraining.
import type { StepRecord } from './train-loop.js';

export interface RunSettings {
  out: string;
  epochs: number;
  maxSteps?: number;
  maxTokens?: number;
  batchSize: number;
  microBatch: number;
  lr: number;
  warmupSteps: number;
  seed: number;
  saveEvery: number;
  evalEvery: number;
  /** Validation rows; undefined: the default split. */
  valSize?: number;
  resume?: string;
  skipNonfinite?: boolean;
  maxGradNorm: number;
  weightDecay: number;
  /** Tokens per row (instruction cutoff or packed sequence length). */
  seqLen: number;
  progress?: boolean;
  onStep?: (r: StepRecord) => void;
}

/** LoRA as in the paper: r 8, alpha 16, dropout 0.05, lr 1e-4, 2 epochs, batch 64, cutoff 256, 100 warmup steps. */
export const LORA_DEFAULTS = {
  r: 8,
  alpha: 16,
  dropout: 0.05,
  lr: 1e-4,
  epochs: 2,
  batchSize: 64,
  microBatch: 4,
  seqLen: 256,
  warmupSteps: 100,
  weightDecay: 0,
  maxGradNorm: 1,
  evalEvery: 200,
  saveEvery: 200,
};

/** Continued pretraining as in the paper: AdamW β (0.9, 0.95), weight decay 0.1, cosine schedule. */
export const CPT_DEFAULTS = {
  lr: 1e-4,
  epochs: 1,
  batchSize: 32,
  microBatch: 4,
  seqLen: 256,
  warmupSteps: 100,
  weightDecay: 0.1,
  maxGradNorm: 1,
  beta2: 0.95,
  evalEvery: 200,
  saveEvery: 200,
};
