// `shorten bench train`: tokens/s of one training step (forward, backward, clipping, AdamW) for
// LoRA and for full-parameter training on the synthetic 2048-wide model, and the same step in
// PyTorch (bench/torch_train.py) when it is installed, as a ratio measured in one run; and a
// distillation step against a full-parameter one (train-distill.ts).
import { performance } from 'node:perf_hooks';
import { AdamW, clipGradients, globalGradNorm } from '../heal/adamw.js';
import { createLoraAdapters, loraParameters, loraTargets, PAPER_TARGET_MODULES } from '../heal/lora.js';
import { TrainingRng } from '../heal/rng.js';
import { buildModel, llamaForward, nextTokenTargets, trainableParameters } from '../model/llama-forward.js';
import type { LlamaModel } from '../model/llama-forward.js';
import { threadCount } from '../native/index.js';
import { Tape } from '../tensor/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { median } from './kernels.js';
import { syntheticLlama } from './synthetic-model.js';
import { benchDistillStep } from './train-distill.js';
import type { DistillBenchRow } from './train-distill.js';
import { findTorchPython, runTorchScript } from './torch-runner.js';

export interface TrainBenchRow {
  mode: 'lora' | 'full';
  tokens_per_s: number;
  torch_tokens_per_s?: number;
  ratio_to_torch?: number;
}

export interface TrainBench {
  hidden: number;
  intermediate: number;
  layers: number;
  vocab: number;
  batch: number;
  seq_len: number;
  threads: number;
  torch_version?: string;
  rows: (TrainBenchRow | DistillBenchRow)[];
}

interface TorchTrainResult {
  torch_version: string;
  lora_tokens_per_s: number;
  full_tokens_per_s: number;
}

function timeSteps(runs: number, step: () => void): number {
  step(); // warm-up: first-touch of gradient and optimizer buffers
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

function trainStep(
  model: LlamaModel,
  params: Map<string, Tensor>,
  opt: AdamW,
  ids: Int32Array,
  batch: number,
  seqLen: number,
  rng: TrainingRng,
  dropout: boolean,
): void {
  const tape = new Tape();
  const r = llamaForward(model, ids, {
    batch,
    seqLen,
    targets: nextTokenTargets(ids, batch, seqLen),
    tape,
    loraDropout: dropout ? rng.next : undefined,
  });
  tape.backward(r.loss!);
  clipGradients(params, globalGradNorm(params), 1);
  opt.update(1e-5);
  for (const p of params.values()) p.zeroGrad();
}

export function benchTrain(o: {
  layers: number;
  seqLen: number;
  batch: number;
  runs: number;
  vocab?: number;
  /** The distillation row: seconds of paired rounds, their precision, the teacher's blocks (0: no row). */
  kd?: { budgetS: number; precision: number; teacherLayers: number };
  log: (s: string) => void;
}): TrainBench {
  // A smaller vocabulary than the 32000 of SYNTHETIC_2048 keeps full training's optimizer state
  // within a shared machine's memory; width, MLP and heads are the synthetic model's.
  const vocab = o.vocab ?? 8192;
  const weights = syntheticLlama({ numLayers: o.layers, vocabSize: vocab }, { seed: 1 });
  const c = weights.config;
  const rng = new TrainingRng(1);
  const ids = new Int32Array(o.batch * o.seqLen);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.nextUint32() % vocab;
  const tokens = o.batch * o.seqLen;
  const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const rows: TrainBench['rows'] = [];

  o.log('LoRA steps...');
  {
    const model = buildModel(weights);
    const adapters = createLoraAdapters(
      weights,
      loraTargets(c, PAPER_TARGET_MODULES),
      { r: 8, alpha: 16, dropout: 0.05, targetModules: [] },
      rng,
    );
    model.lora = adapters;
    const params = loraParameters(adapters);
    const opt = new AdamW(params, adam);
    rows.push({
      mode: 'lora',
      tokens_per_s:
        tokens / timeSteps(o.runs, () => trainStep(model, params, opt, ids, o.batch, o.seqLen, rng, true)),
    });
  }
  o.log('full-parameter steps...');
  {
    const model = buildModel(weights, { trainable: () => true });
    const params = trainableParameters(model);
    const opt = new AdamW(params, adam);
    rows.push({
      mode: 'full',
      tokens_per_s:
        tokens / timeSteps(o.runs, () => trainStep(model, params, opt, ids, o.batch, o.seqLen, rng, false)),
    });
  }
  if (o.kd && o.kd.teacherLayers > 0) {
    o.log(`distillation steps against full-parameter steps (a ${o.kd.teacherLayers}-block teacher)...`);
    rows.push(
      benchDistillStep({
        student: weights,
        teacher: syntheticLlama({ numLayers: o.kd.teacherLayers, vocabSize: vocab }, { seed: 2 }),
        ids,
        batch: o.batch,
        seqLen: o.seqLen,
        budgetS: o.kd.budgetS,
        precision: o.kd.precision,
      }),
    );
  }
  const result: TrainBench = {
    hidden: c.hiddenSize,
    intermediate: c.intermediateSize,
    layers: c.numLayers,
    vocab,
    batch: o.batch,
    seq_len: o.seqLen,
    threads: threadCount(),
    rows,
  };
  if (findTorchPython()) {
    o.log('PyTorch reference...');
    const t = runTorchScript<TorchTrainResult>('torch_train.py', {
      hidden: c.hiddenSize,
      layers: c.numLayers,
      heads: c.numHeads,
      kv_heads: c.numKvHeads,
      mlp: c.intermediateSize,
      vocab,
      batch: o.batch,
      seq: o.seqLen,
      runs: o.runs,
      threads: threadCount(),
      r: 8,
      alpha: 16,
      dropout: 0.05,
    });
    result.torch_version = t.torch_version;
    for (const row of rows) {
      if (row.mode === 'kd') continue;
      row.torch_tokens_per_s = row.mode === 'lora' ? t.lora_tokens_per_s : t.full_tokens_per_s;
      row.ratio_to_torch = row.tokens_per_s / row.torch_tokens_per_s;
    }
  } else o.log('PyTorch not found: no reference ratio');
  return result;
}
