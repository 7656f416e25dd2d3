// The calibration statistics Wanda-style width scores need: for every block, the L2 norm over
// all calibration tokens of each input feature of q/k/v, o_proj, gate/up and down_proj, read through
// the shared block forward's taps.
import type { ModelWeights } from '../../model/weights.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { embed, runBlock, weightSource } from '../../model/block.js';
import { calibrationBatches } from '../calibration-batches.js';
import type { BlockInputNorms } from './scores.js';

function accumulateSquares(acc: Float64Array, t: Tensor): void {
  const cols = acc.length;
  const x = t.data;
  for (let o = 0; o < x.length; o += cols) for (let j = 0; j < cols; j++) acc[j] += x[o + j] * x[o + j];
}

export function blockInputNorms(
  weights: ModelWeights,
  calib: CalibrationSet,
  batchSize = 4,
): BlockInputNorms[] {
  const c = weights.config;
  const src = weightSource(weights);
  const norms: BlockInputNorms[] = [];
  for (let l = 0; l < c.numLayers; l++)
    norms.push({
      attnIn: new Float64Array(c.hiddenSize),
      oIn: new Float64Array(c.numHeads * c.headDim),
      mlpIn: new Float64Array(c.hiddenSize),
      downIn: new Float64Array(c.intermediateSize),
    });
  for (const batch of calibrationBatches(c, calib, batchSize)) {
    let h = embed(src, batch.ids);
    for (let l = 0; l < c.numLayers; l++) {
      const n = norms[l];
      h = runBlock(src, l, h, batch.shape, {
        taps: {
          attnInput: (x) => accumulateSquares(n.attnIn, x),
          oInput: (a) => accumulateSquares(n.oIn, a),
          mlpInput: (x) => accumulateSquares(n.mlpIn, x),
          downInput: (x) => accumulateSquares(n.downIn, x),
        },
      });
    }
  }
  for (const n of norms)
    for (const a of [n.attnIn, n.oIn, n.mlpIn, n.downIn])
      for (let j = 0; j < a.length; j++) a[j] = Math.sqrt(a[j]);
  return norms;
}
