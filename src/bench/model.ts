// `shorten bench model`: forward, forward+backward and decode throughput of a synthetic LLaMA
// (width 2048, 16 blocks, 16 heads / 4 KV heads, MLP 5632), and the same model and data through a
// plain PyTorch LLaMA (bench/torch_llama.py) in the same run where PyTorch is installed.
import { performance } from 'node:perf_hooks';
import { LlamaInference } from '../model/inference.js';
import { generate } from '../model/generate.js';
import { buildModel, llamaForward, nextTokenTargets } from '../model/llama-forward.js';
import { threadCount } from '../native/index.js';
import { Tape } from '../tensor/index.js';
import { median } from './kernels.js';
import { SYNTHETIC_2048, syntheticLlama } from './synthetic-model.js';
import { findTorchPython, runTorchScript } from './torch-runner.js';

export interface ModelBenchOptions {
  batch: number;
  seqLen: number;
  decodeTokens: number;
  runs: number;
  layers?: number;
  torch: boolean;
  log: (s: string) => void;
}

interface Throughputs {
  forward_tokens_per_s: number;
  train_tokens_per_s: number;
  decode_tokens_per_s: number;
}

export interface ModelBenchResult {
  model: { hidden: number; layers: number; heads: number; kv_heads: number; mlp: number; vocab: number };
  batch: number;
  seq_len: number;
  threads: number;
  shorten: Throughputs;
  pytorch: (Throughputs & { torch_version: string }) | null;
  /** Ours over PyTorch's, per measure; null without PyTorch. */
  ratio: Throughputs | null;
  note?: string;
}

function timeMedian(runs: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

export function benchModel(o: ModelBenchOptions): ModelBenchResult {
  const config = { ...SYNTHETIC_2048, numLayers: o.layers ?? SYNTHETIC_2048.numLayers };
  // PyTorch runs first, in its own process, before our model exists: both copies of an 850M-param
  // model with gradients do not fit in this machine's memory at once.
  let pytorch: (Throughputs & { torch_version: string }) | null = null;
  let note: string | undefined;
  if (!o.torch) note = 'PyTorch comparison skipped (--no-torch)';
  else if (!findTorchPython())
    note = 'PyTorch is absent (Debian: apt-get install python3-torch): no comparison';
  else {
    o.log('running the model through PyTorch first...');
    pytorch = runTorchScript<Throughputs & { torch_version: string }>('torch_llama.py', {
      hidden: config.hiddenSize,
      layers: config.numLayers,
      heads: config.numHeads,
      kv_heads: config.numKvHeads,
      mlp: config.intermediateSize,
      vocab: config.vocabSize,
      batch: o.batch,
      seq: o.seqLen,
      decode_tokens: o.decodeTokens,
      runs: o.runs,
      threads: threadCount(),
    });
    o.log(`PyTorch: ${JSON.stringify(pytorch)}`);
  }
  o.log(`building a synthetic model: width ${config.hiddenSize}, ${config.numLayers} blocks...`);
  const weights = syntheticLlama(config, { dtype: 'f32', seed: 1 });
  const B = o.batch;
  const T = o.seqLen;
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 7919 + 13) % config.vocabSize;

  const frozen = buildModel(weights);
  const fwd = timeMedian(o.runs, () => {
    llamaForward(frozen, ids, { batch: B, seqLen: T });
  });
  o.log(`forward: ${((B * T) / fwd).toFixed(0)} tokens/s`);

  // Training step: every weight trainable (f32 master copies), loss over next-token targets.
  const trainable = buildModel(weights, { trainable: () => true });
  const targets = nextTokenTargets(ids, B, T);
  const step = timeMedian(o.runs, () => {
    const tape = new Tape();
    for (const w of trainable.weights.values()) if ('zeroGrad' in w) w.zeroGrad();
    const r = llamaForward(trainable, ids, { batch: B, seqLen: T, targets, tape });
    if (!r.loss) throw new Error('bench model: no loss');
    tape.backward(r.loss);
    tape.clear();
  });
  const trainTokens = B * (T - 1);
  o.log(`forward+backward: ${(trainTokens / step).toFixed(0)} tokens/s`);

  const runner = new LlamaInference(weights, 'synthetic');
  const decode = timeMedian(o.runs, () => {
    generate(runner, [[1]], { maxNewTokens: o.decodeTokens, greedy: true, stopAtEos: false });
  });
  o.log(`decode (batch 1): ${(o.decodeTokens / decode).toFixed(1)} tokens/s`);

  const shorten: Throughputs = {
    forward_tokens_per_s: (B * T) / fwd,
    train_tokens_per_s: trainTokens / step,
    decode_tokens_per_s: o.decodeTokens / decode,
  };
  const result: ModelBenchResult = {
    model: {
      hidden: config.hiddenSize,
      layers: config.numLayers,
      heads: config.numHeads,
      kv_heads: config.numKvHeads,
      mlp: config.intermediateSize,
      vocab: config.vocabSize,
    },
    batch: B,
    seq_len: T,
    threads: threadCount(),
    shorten,
    pytorch,
    ratio: pytorch
      ? {
          forward_tokens_per_s: shorten.forward_tokens_per_s / pytorch.forward_tokens_per_s,
          train_tokens_per_s: shorten.train_tokens_per_s / pytorch.train_tokens_per_s,
          decode_tokens_per_s: shorten.decode_tokens_per_s / pytorch.decode_tokens_per_s,
        }
      : null,
    ...(note ? { note } : {}),
  };
  return result;
}
