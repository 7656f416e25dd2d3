// Width pruning (the paper's baseline), reached from `shorten prune --method width`.
import type { OpenedModel } from '../../pipeline/open-model.js';

export interface WidthPruneCommandOptions {
  /** '20%' of the parameters of the blocks, or an absolute parameter count. */
  remove: string;
  out: string;
  format: 'hf' | 'gguf';
  /** magnitude, or wanda (|W|·‖x‖ on calibration text). */
  score: string;
  calib?: string;
  samples: number;
  seqLen: number;
  seed: number;
  json: boolean;
}

export function runWidthPrune(_model: OpenedModel, _opts: WidthPruneCommandOptions): Promise<void> {
  return Promise.reject(new Error('width pruning is being built (src/prune/width)'));
}
