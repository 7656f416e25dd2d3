// Calibration windows cut into forward batches, each with its ids, targets and geometry, and the
// hidden states of the unpruned prefix: computed once, reused by every criterion that starts the
// model part way through.
import type { LlamaConfig } from '../model/config.js';
import { nextTokenTargets } from '../model/llama-forward.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CalibrationSet } from '../text/calibration.js';
import { calibrationIds } from '../text/calibration.js';
import type { BatchShape, BlockWeightSource } from '../model/block.js';
import { batchShape, embed, runBlock } from '../model/block.js';

export interface CalibrationBatch {
  ids: Int32Array;
  targets: Int32Array;
  shape: BatchShape;
}

export function calibrationBatches(
  config: LlamaConfig,
  calib: CalibrationSet,
  batchSize?: number,
): CalibrationBatch[] {
  const ids = calibrationIds(calib);
  const T = calib.settings.seqLen;
  const B = calib.windows.length;
  const size = Math.max(1, Math.min(batchSize ?? B, B));
  const out: CalibrationBatch[] = [];
  for (let s = 0; s < B; s += size) {
    const rows = Math.min(size, B - s);
    const part = ids.subarray(s * T, (s + rows) * T);
    out.push({ ids: part, targets: nextTokenTargets(part, rows, T), shape: batchShape(config, rows, T) });
  }
  return out;
}

export interface PrefixStates {
  /** states[l]: the hidden state entering block l; states[L]: leaving the last block. */
  states: Tensor[];
  /** mids[l]: the state between block l's attention and MLP (only when asked for). */
  mids: Tensor[];
}

/** One no-grad forward through every block, keeping the state at each block boundary. */
export function prefixStates(
  src: BlockWeightSource,
  batch: CalibrationBatch,
  keepMids = false,
): PrefixStates {
  const states: Tensor[] = [];
  const mids: Tensor[] = [];
  let h = embed(src, batch.ids);
  for (let l = 0; l < src.config.numLayers; l++) {
    states.push(h);
    h = runBlock(src, l, h, batch.shape, keepMids ? { onMid: (m) => mids.push(m) } : {});
  }
  states.push(h);
  return { states, mids };
}
