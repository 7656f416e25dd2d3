// `shorten bench train`: tokens/s of one training step (forward, backward, clipping, AdamW) for
// LoRA and for full-parameter training on the synthetic 2048-wide anchor with weights stored in one
// dtype, and the same step in PyTorch in the same dtype (bench/torch_train.py). LoRA's rounds
// interleave with a PyTorch kept running beside ours. Full-parameter AdamW state for both sides does
// not fit in memory at once (four f32 copies of 850M parameters each), so PyTorch's full steps run
// first, in their own process, before our model exists, and that ratio has no interval. Last, a
// distillation step against a full-parameter one of the same student (train-distill.ts).
import { performance } from 'node:perf_hooks';
import { AdamW, clipGradients, globalGradNorm } from '../heal/adamw.js';
import { createLoraAdapters, loraParameters, loraTargets, PAPER_TARGET_MODULES } from '../heal/lora.js';
import { TrainingRng } from '../heal/rng.js';
import type { LlamaConfig } from '../model/config.js';
import { buildModel, llamaForward, nextTokenTargets, trainableParameters } from '../model/llama-forward.js';
import type { LlamaModel } from '../model/llama-forward.js';
import { threadCount } from '../native/index.js';
import { Tape } from '../tensor/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BenchDtype } from './bench-models.js';
import { describeOurSide, shapeSummary, torchShape, trainableModel } from './bench-models.js';
import type { RatioEstimate } from './paired-ratio.js';
import { formatRatio } from './paired-ratio.js';
import { syntheticConfig, syntheticLlama } from './synthetic-model.js';
import type { Comparison, RoundsSettings } from './torch-comparison.js';
import { compareRounds, formatSpeedup, oursOnly, unpairedComparison } from './torch-comparison.js';
import type { TimedRounds } from './timed-rounds.js';
import { timedRounds, timedRoundsAsync } from './timed-rounds.js';
import type { TorchReference } from './torch-runner.js';
import { formatTorchReference, torchReference } from './torch-runner.js';
import { TorchWorker } from './torch-worker.js';
import type { DistillBenchRow } from './train-distill.js';
import { benchDistillStep } from './train-distill.js';

export interface TrainBenchOptions extends RoundsSettings {
  shape: Partial<LlamaConfig>;
  dtype: BenchDtype;
  seqLen: number;
  batch: number;
  torch: boolean;
  /** The distillation row's teacher: its blocks (0: no row), the shape's width and vocabulary. */
  teacherLayers: number;
  log: (s: string) => void;
}

export interface TrainBenchRow {
  mode: 'lora' | 'full';
  tokens_per_s: number;
  pytorch_tokens_per_s: number | null;
  speedup: RatioEstimate | null;
  rounds: number;
  stop: Comparison['stop'];
  /** Why there is no speed-up or no interval; null when there are both. */
  note: string | null;
  /** Which dtype runs where, on each side. */
  runs_in: { shorten: string; pytorch: string | null };
}

export interface TrainBenchRun {
  bench: 'train';
  dtype: BenchDtype;
  model: Record<string, number | boolean>;
  batch: number;
  seq_len: number;
  threads: number;
  pytorch_reference: TorchReference | null;
  pytorch: { torch_version: string; threads: number } | null;
  rows: TrainBenchRow[];
  /** KD against full-parameter steps of one student; null without a teacher (--teacher-layers 0). */
  kd: DistillBenchRow | null;
}

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const LORA = { r: 8, alpha: 16, dropout: 0.05 };

const UNPAIRED =
  'full-parameter training runs the two sides one after the other (at the anchor’s 850M parameters ' +
  'PyTorch’s AdamW state and ours do not fit in memory together): PyTorch’s steps ran in their own ' +
  'process before our model existed, so the rounds are not paired';

function trainStep(
  model: LlamaModel,
  params: Map<string, Tensor>,
  opt: AdamW,
  ids: Int32Array,
  batch: number,
  seqLen: number,
  rng: TrainingRng,
  dropout: boolean,
): number {
  const t0 = performance.now();
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
  return (performance.now() - t0) / 1000;
}

function row(
  mode: TrainBenchRow['mode'],
  c: Comparison,
  tokens: number,
  runsIn: TrainBenchRow['runs_in'],
): TrainBenchRow {
  return {
    mode,
    tokens_per_s: tokens / c.shorten_s,
    pytorch_tokens_per_s: c.pytorch_s === null ? null : tokens / c.pytorch_s,
    speedup: c.speedup,
    rounds: c.rounds,
    stop: c.stop,
    note: c.note,
    runs_in: runsIn,
  };
}

export async function benchTrain(o: TrainBenchOptions): Promise<TrainBenchRun> {
  const threads = threadCount();
  const reference = o.torch ? torchReference(threads) : null;
  const useTorch = reference !== null && reference.refused === null;
  const noTorch = reference ? (reference.refused ?? '') : 'PyTorch comparison skipped (--no-torch)';
  const rounds = { budgetS: o.budgetS, precision: o.precision, maxRounds: o.maxRounds };
  const c = syntheticConfig(o.shape);
  const tokens = o.batch * o.seqLen;
  const torchConfig = (mode: string) => ({
    ...torchShape(c),
    ...LORA,
    mode,
    dtype: o.dtype,
    batch: o.batch,
    seq: o.seqLen,
  });
  let worker: TorchWorker | null = null;
  try {
    let pytorch: TrainBenchRun['pytorch'] = null;
    let torchFull: { rounds: TimedRounds; runsIn: string } | null = null;
    if (useTorch) {
      o.log(`PyTorch full-parameter steps (${o.dtype}), before our model exists...`);
      const started = await TorchWorker.start('train', torchConfig('full'), threads);
      worker = started.worker;
      const w = worker;
      pytorch = { torch_version: started.info.torch_version, threads: started.info.threads };
      await w.run('step'); // warm-up: AdamW's state is allocated by the first step
      torchFull = {
        rounds: await timedRoundsAsync({
          ...rounds,
          models: 1,
          measure: async () => (await w.run('step')).seconds,
        }),
        runsIn: started.info.runs_in,
      };
      await w.close();
      worker = null;
    }

    o.log(`building the synthetic model: width ${c.hiddenSize}, ${c.numLayers} blocks, ${o.dtype}...`);
    let weights: ReturnType<typeof syntheticLlama> | null = syntheticLlama(c, { dtype: o.dtype, seed: 1 });
    const rng = new TrainingRng(1);
    const ids = new Int32Array(tokens);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.nextUint32() % c.vocabSize;
    const rows: TrainBenchRow[] = [];
    let kd: DistillBenchRow | null = null;

    o.log('LoRA steps, ours and PyTorch in turn...');
    {
      let torchLora: (() => Promise<number>) | null = null;
      let runsIn: string | null = null;
      if (useTorch) {
        const started = await TorchWorker.start('train', torchConfig('lora'), threads);
        worker = started.worker;
        runsIn = started.info.runs_in;
        const w = worker;
        await w.run('step');
        torchLora = async () => (await w.run('step')).seconds;
      }
      const model = buildModel(weights);
      const adapters = createLoraAdapters(
        weights,
        loraTargets(c, PAPER_TARGET_MODULES),
        { ...LORA, targetModules: [] },
        rng,
      );
      model.lora = adapters;
      const params = loraParameters(adapters);
      const opt = new AdamW(params, ADAM);
      const step = () => trainStep(model, params, opt, ids, o.batch, o.seqLen, rng, true);
      step();
      const cmp = await compareRounds({ ...rounds, ours: step, torch: torchLora, noTorch });
      rows.push(row('lora', cmp, tokens, { shorten: describeOurSide(model, 'LoRA step'), pytorch: runsIn }));
      if (worker) await worker.close();
      worker = null;
    }

    o.log('full-parameter steps...');
    {
      const model = trainableModel(weights);
      const runsIn = describeOurSide(model, 'full-parameter step (AdamW state f32)', weights);
      // Only the model holds the weights from here on: a bf16 copy left behind would be 1.7 GB.
      weights = null;
      (globalThis as { gc?: () => void }).gc?.();
      const params = trainableParameters(model);
      const opt = new AdamW(params, ADAM);
      const step = () => trainStep(model, params, opt, ids, o.batch, o.seqLen, rng, false);
      step();
      const ours = timedRounds({ ...rounds, models: 1, measure: step });
      const cmp = torchFull ? unpairedComparison(ours, torchFull.rounds, UNPAIRED) : oursOnly(ours, noTorch);
      rows.push(
        row('full', cmp, tokens, {
          shorten: runsIn,
          pytorch: torchFull?.runsIn ?? null,
        }),
      );
      if (o.teacherLayers > 0) {
        o.log(`distillation steps against full-parameter steps (a ${o.teacherLayers}-block teacher)...`);
        kd = benchDistillStep({
          student: model,
          teacher: syntheticLlama({ ...c, numLayers: o.teacherLayers }, { dtype: o.dtype, seed: 2 }),
          ids,
          batch: o.batch,
          seqLen: o.seqLen,
          ...rounds,
        });
      }
    }
    return {
      bench: 'train',
      dtype: o.dtype,
      model: shapeSummary(c),
      batch: o.batch,
      seq_len: o.seqLen,
      threads,
      pytorch_reference: reference,
      pytorch,
      rows,
      kd,
    };
  } finally {
    worker?.kill();
  }
}

/** The run as text. */
export function formatTrainBench(r: TrainBenchRun): string {
  const m = r.model;
  const lines = [
    `bench train, ${r.dtype} weights: ${m.hidden} wide, ${m.layers} blocks, vocabulary ${m.vocab}; ` +
      `batch ${r.batch}×${r.seq_len}; ${r.threads} threads`,
    r.pytorch_reference
      ? `  ${formatTorchReference(r.pytorch_reference)}`
      : '  PyTorch: skipped (--no-torch)',
  ];
  for (const row of r.rows) {
    lines.push(
      `  ${row.mode.padEnd(5)} ${row.tokens_per_s.toFixed(1).padStart(9)} tok/s   PyTorch ` +
        `${row.pytorch_tokens_per_s === null ? '-' : `${row.pytorch_tokens_per_s.toFixed(1)} tok/s`}   ${formatSpeedup(row)}`,
      `        ours: ${row.runs_in.shorten}`,
      ...(row.runs_in.pytorch ? [`        PyTorch: ${row.runs_in.pytorch}`] : []),
    );
  }
  if (r.kd)
    lines.push(
      `  kd    ${r.kd.tokens_per_s.toFixed(1).padStart(9)} tok/s   ${formatRatio(r.kd.time_ratio_to_cpt)} a ` +
        `full-parameter step's time (${r.kd.teacher_layers}-block teacher, forward only; ${r.kd.rounds} paired rounds)`,
    );
  return lines.join('\n');
}
