// The calibration statistics Wanda-style width scores need: for every block, the L2 norm over
// all calibration tokens of each input feature of q/k/v, o_proj, gate/up and down_proj. Runs
// the same ops in the same order as the block runner, keeping the intermediate inputs.
import { layerPrefix } from '../../model/weights.js';
import type { ModelWeights } from '../../model/weights.js';
import { add } from '../../tensor/ops/add.js';
import { attention } from '../../tensor/ops/attention.js';
import { linear } from '../../tensor/ops/linear.js';
import { rmsnorm } from '../../tensor/ops/rmsnorm.js';
import { rope } from '../../tensor/ops/rope.js';
import { siluGate } from '../../tensor/ops/silu-gate.js';
import type { Tensor, Weight } from '../../tensor/tensor.js';
import type { CalibrationSet } from '../../text/calibration.js';
import { embed, weightSource } from '../block-runner.js';
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
  const need = (n: string): Weight => {
    const w = weights.tensors.get(n);
    if (!w) throw new Error(`model: missing weight '${n}'`);
    return w;
  };
  const norms: BlockInputNorms[] = [];
  for (let l = 0; l < c.numLayers; l++)
    norms.push({
      attnIn: new Float64Array(c.hiddenSize),
      oIn: new Float64Array(c.numHeads * c.headDim),
      mlpIn: new Float64Array(c.hiddenSize),
      downIn: new Float64Array(c.intermediateSize),
    });
  for (const batch of calibrationBatches(calib, batchSize)) {
    let h = embed(src, batch.ids);
    for (let l = 0; l < c.numLayers; l++) {
      const p = layerPrefix(l);
      const x = rmsnorm(h, need(`${p}input_layernorm.weight`), c.rmsNormEps);
      accumulateSquares(norms[l].attnIn, x);
      const q = linear(x, need(`${p}self_attn.q_proj.weight`));
      const k = linear(x, need(`${p}self_attn.k_proj.weight`));
      const v = linear(x, need(`${p}self_attn.v_proj.weight`));
      const positions = batch.shape.positions;
      const a = attention(
        rope(q, positions, c.headDim, c.ropeTheta),
        rope(k, positions, c.headDim, c.ropeTheta),
        v,
        {
          batch: batch.shape.batch,
          seqLen: batch.shape.seqLen,
          numHeads: c.numHeads,
          numKvHeads: c.numKvHeads,
          headDim: c.headDim,
        },
      );
      accumulateSquares(norms[l].oIn, a);
      h = add(h, linear(a, need(`${p}self_attn.o_proj.weight`)));
      const x2 = rmsnorm(h, need(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
      accumulateSquares(norms[l].mlpIn, x2);
      const s = siluGate(
        linear(x2, need(`${p}mlp.gate_proj.weight`)),
        linear(x2, need(`${p}mlp.up_proj.weight`)),
      );
      accumulateSquares(norms[l].downIn, s);
      h = add(h, linear(s, need(`${p}mlp.down_proj.weight`)));
    }
  }
  for (const n of norms)
    for (const a of [n.attnIn, n.oIn, n.mlpIn, n.downIn])
      for (let j = 0; j < a.length; j++) a[j] = Math.sqrt(a[j]);
  return norms;
}
