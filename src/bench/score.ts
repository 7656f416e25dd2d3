// `shorten bench score`: on the synthetic 2048-wide 16-block model, the time of the Taylor criterion
// and of the cached ppl sweep on 10 × 128 calibration tokens, the sweep's cost against L full passes,
// peak resident memory against the weight bytes, and (where PyTorch is installed) the same Taylor
// computation in PyTorch and our speed over it, all measured in one run.
import { availableParallelism } from 'node:os';
import type { FloatDType } from '../model/weights.js';
import { runHead, weightSource } from '../model/block.js';
import { calibrationBatches, prefixStates } from '../prune/calibration-batches.js';
import { pplScores } from '../prune/criteria/ppl.js';
import { taylorScores } from '../prune/criteria/taylor.js';
import { seededRandom } from '../model/sampling.js';
import type { CalibrationSet } from '../text/calibration.js';
import { SYNTHETIC_2048, syntheticLlama } from './synthetic-model.js';
import { findTorchPython, runTorchScript } from './torch-runner.js';

export interface BenchScoreOptions {
  layers: number;
  samples: number;
  seqLen: number;
  dtype: FloatDType;
  torch: boolean;
  log: (s: string) => void;
}

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * The sweep's arithmetic over L full passes: one prefix pass with its head, then for each removed
 * block the blocks after it and a head. With a large vocabulary the head is worth more than a
 * block, which puts this floor above L/2 passes.
 */
export function sweepFlopFloor(
  c: {
    numLayers: number;
    hiddenSize: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    intermediateSize: number;
    vocabSize: number;
  },
  seqLen: number,
): number {
  const h = c.hiddenSize;
  const attnParams = 2 * h * c.numHeads * c.headDim + 2 * h * c.numKvHeads * c.headDim;
  const block = 2 * (attnParams + 3 * h * c.intermediateSize) + 2 * c.numHeads * c.headDim * (seqLen + 1);
  const head = 2 * c.vocabSize * h;
  const L = c.numLayers;
  const full = L * block + head;
  const sweep = full + ((L * (L - 1)) / 2) * block + L * head;
  return sweep / (L * full);
}

export function benchScore(o: BenchScoreOptions): Record<string, unknown> {
  const c = { ...SYNTHETIC_2048, numLayers: o.layers };
  o.log(`generating the synthetic model (${o.layers} blocks, ${o.dtype})`);
  const weights = syntheticLlama(c, { dtype: o.dtype, seed: 1 });
  let weightBytes = 0;
  for (const t of weights.tensors.values()) weightBytes += t.data.byteLength;
  const random = seededRandom(7);
  const calib: CalibrationSet = {
    source: 'random tokens',
    settings: { samples: o.samples, seqLen: o.seqLen, seed: 7 },
    windows: Array.from({ length: o.samples }, (_, d) => ({
      document: d,
      start: 0,
      tokens: Array.from({ length: o.seqLen }, () => Math.floor(random() * c.vocabSize)),
    })),
  };
  const src = weightSource(weights);
  const [batch] = calibrationBatches(c, calib);
  o.log('three full forward passes (their median is the unit of the ppl sweep’s cost)');
  const passes = [0, 1, 2].map(() =>
    seconds(() => runHead(src, prefixStates(src, batch).states[c.numLayers], batch.targets)),
  );
  const fullPass = passes.sort((a, b) => a - b)[1];
  o.log('taylor');
  const taylor = seconds(() => taylorScores(weights, calib, { unit: 'block' }));
  o.log('ppl sweep');
  const ppl = seconds(() => pplScores(weights, calib, { unit: 'block' }));
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const result: Record<string, unknown> = {
    model: {
      hidden: c.hiddenSize,
      layers: c.numLayers,
      heads: c.numHeads,
      kv_heads: c.numKvHeads,
      mlp: c.intermediateSize,
      vocab: c.vocabSize,
      dtype: o.dtype,
    },
    calibration_tokens: o.samples * o.seqLen,
    threads: availableParallelism(),
    full_pass_s: fullPass,
    taylor_s: taylor,
    ppl_sweep_s: ppl,
    ppl_sweep_over_L_full_passes: ppl / (c.numLayers * fullPass),
    ppl_sweep_flop_floor: sweepFlopFloor(c, o.seqLen),
    ppl_target: 0.55,
    weight_bytes: weightBytes,
    peak_rss_bytes: maxRssBytes,
    peak_rss_over_weights_gib: (maxRssBytes - weightBytes) / 2 ** 30,
    memory_target: 'peak_rss_bytes ≤ weight_bytes + 2 GiB',
    memory_ok: maxRssBytes <= weightBytes + 2 * 2 ** 30,
  };
  if (o.torch && findTorchPython()) {
    o.log('PyTorch taylor (same shapes and token count, its own random weights)');
    const t = runTorchScript<{
      taylor_s: number;
      torch_version: string;
      threads: number;
      peak_rss_bytes: number;
    }>('torch_taylor.py', {
      hidden: c.hiddenSize,
      layers: c.numLayers,
      heads: c.numHeads,
      kv_heads: c.numKvHeads,
      mlp: c.intermediateSize,
      vocab: c.vocabSize,
      batch: o.samples,
      seq: o.seqLen,
      runs: 1,
      threads: availableParallelism(),
    });
    result.torch = {
      version: t.torch_version,
      threads: t.threads,
      taylor_s: t.taylor_s,
      peak_rss_bytes: t.peak_rss_bytes,
    };
    result.taylor_speedup_over_torch = t.taylor_s / taylor;
    result.taylor_target = 1.2;
  } else result.torch = null;
  return result;
}
