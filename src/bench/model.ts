// `shorten bench model`: forward, forward+backward and batch-1 decode throughput of a synthetic
// LLaMA (the 2048-wide 16-block anchor by default) with weights stored in one dtype, against a plain
// PyTorch LLaMA of the same shape in the same dtype (bench/torch_llama.py) kept running beside ours,
// so that each figure's rounds interleave. The forward is also put in FLOP terms against the FMA
// peak, and decode against the bandwidth bound, both measured in the same run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LlamaInference } from '../model/inference.js';
import { generate } from '../model/generate.js';
import { buildModel, llamaForward, nextTokenTargets, trainableParameters } from '../model/llama-forward.js';
import type { LlamaModel } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';
import { measurePeakGflops, measureReadGbps, threadCount, trimHeap } from '../native/index.js';
import { Tape } from '../tensor/index.js';
import { gib, totalMemory } from '../heal/memory-fit.js';
import type { BenchDtype } from './bench-models.js';
import { benchTokens, describeOurSide, shapeSummary, torchShape, trainableModel } from './bench-models.js';
import { workPerToken } from './ideal-speedup.js';
import type { RatioEstimate } from './paired-ratio.js';
import type { Comparison, RoundsSettings } from './torch-comparison.js';
import { compareRounds, formatFraction, formatSpeedup, fractionOfCeiling } from './torch-comparison.js';
import type { LlamaConfig } from '../model/config.js';
import { syntheticConfig, syntheticLlama } from './synthetic-model.js';
import type { TorchReference } from './torch-runner.js';
import { formatTorchReference, torchReference } from './torch-runner.js';
import { TorchWorker } from './torch-worker.js';
import type { TorchWorkerInfo } from './torch-worker.js';

type BetweenRounds = 'kept' | 'heap trimmed' | 'gradients released';

/** This process's resident bytes now (Linux), or its peak elsewhere. */
function residentBytes(): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

export interface ModelBenchOptions extends RoundsSettings {
  /** The model's shape (SYNTHETIC_2048 by default, any numLayers). */
  shape: Partial<LlamaConfig>;
  dtype: BenchDtype;
  batch: number;
  seqLen: number;
  decodeTokens: number;
  torch: boolean;
  log: (s: string) => void;
}

/** One figure: our throughput, PyTorch's, and our speed over PyTorch's from interleaved rounds. */
export interface ThroughputFigure {
  tokens_per_s: number;
  pytorch_tokens_per_s: number | null;
  speedup: RatioEstimate | null;
  rounds: number;
  stop: Comparison['stop'];
  /** Why there is no speed-up or no interval; null when there are both. */
  note: string | null;
}

export interface ModelBenchRun {
  bench: 'model';
  dtype: BenchDtype;
  model: Record<string, number | boolean>;
  batch: number;
  seq_len: number;
  decode_tokens: number;
  threads: number;
  /** The ceilings measured in this run: the FMA peak and the read bandwidth. */
  machine: { peak_gflops: number; read_gbps: number };
  /** The PyTorch the figures compare against and its environment, or why none; null with --no-torch. */
  pytorch_reference: TorchReference | null;
  pytorch: (TorchWorkerInfo & { peak_rss_bytes: number | null }) | null;
  /** Which dtype runs where, on each side. */
  runs_in: { shorten: { forward: string; forward_backward: string; decode: string }; pytorch: string | null };
  forward: ThroughputFigure & {
    gflop_per_token: number;
    gflops: number;
    /** GFLOP/s over the FMA peak, per round: median and 95% interval. */
    ratio_to_peak: RatioEstimate;
  };
  forward_backward: ThroughputFigure & {
    /**
     * What our side kept between rounds: everything ('kept'); all but the heap's free pages, which
     * went back to the system so that PyTorch's step fits ('heap trimmed': each timed step then
     * faults its activations' pages in again); or not its gradients either ('gradients released').
     */
    between_rounds: BetweenRounds;
  };
  decode: ThroughputFigure & {
    /** Bytes of weights one decode step reads (every matrix but the embedding, which is one row). */
    weight_bytes: number;
    /** The read bandwidth over those bytes: the tokens/s decode could reach at most. */
    bound_tokens_per_s: number;
    ratio_to_bound: RatioEstimate;
    /** Decode read faster than the measured bandwidth allows: the bandwidth reading was disturbed. */
    above_bound: boolean;
  };
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

function figure(c: Comparison, tokens: number): ThroughputFigure {
  return {
    tokens_per_s: tokens / c.shorten_s,
    pytorch_tokens_per_s: c.pytorch_s === null ? null : tokens / c.pytorch_s,
    speedup: c.speedup,
    rounds: c.rounds,
    stop: c.stop,
    note: c.note,
  };
}

export async function benchModel(o: ModelBenchOptions): Promise<ModelBenchRun> {
  const threads = threadCount();
  const reference = o.torch ? torchReference(threads) : null;
  const noTorch = reference ? (reference.refused ?? '') : 'PyTorch comparison skipped (--no-torch)';
  const rounds = { budgetS: o.budgetS, precision: o.precision, maxRounds: o.maxRounds };
  const B = o.batch;
  const T = o.seqLen;
  let worker: TorchWorker | null = null;
  try {
    // PyTorch's model is built first, while ours does not exist yet.
    const c = syntheticConfig(o.shape);
    let info: TorchWorkerInfo | null = null;
    if (reference && !reference.refused) {
      o.log(`starting PyTorch (${o.dtype}) beside ours...`);
      const started = await TorchWorker.start(
        'model',
        { ...torchShape(c), dtype: o.dtype, batch: B, seq: T, decode_tokens: o.decodeTokens },
        threads,
      );
      worker = started.worker;
      info = started.info;
    }
    o.log(`building the synthetic model: width ${c.hiddenSize}, ${c.numLayers} blocks, ${o.dtype}...`);
    let weights: ModelWeights | null = syntheticLlama(c, { dtype: o.dtype, seed: 1 });
    const w = worker;
    o.log(`measuring the FMA peak and the read bandwidth...`);
    const peak = measurePeakGflops(1.0);
    let read = measureReadGbps(1 << 30, 5);
    const ids = benchTokens(B * T, c.vocabSize);
    const torchOp = (op: string, after?: string) =>
      w
        ? async () => {
            const s = (await w.run(op)).seconds;
            if (after) await w.run(after);
            return s;
          }
        : null;

    o.log(`forward, ${B}×${T} tokens, ${o.dtype} weights...`);
    let frozen: LlamaModel | null = buildModel(weights);
    const forwardOnce = () => seconds(() => llamaForward(frozen!, ids, { batch: B, seqLen: T }));
    forwardOnce();
    await torchOp('forward')?.();
    const fwd = await compareRounds({ ...rounds, ours: forwardOnce, torch: torchOp('forward'), noTorch });
    const flopsPerToken = workPerToken(weights, (T + 1) / 2).flops;
    const fwdFlops = B * T * flopsPerToken;

    o.log(`decode, batch 1, ${o.decodeTokens} tokens...`);
    let runner: LlamaInference | null = new LlamaInference(weights, 'synthetic');
    const decodeOnce = () =>
      seconds(() =>
        generate(runner!, [[1]], { maxNewTokens: o.decodeTokens, greedy: true, stopAtEos: false }),
      );
    decodeOnce();
    await torchOp('decode')?.();
    const dec = await compareRounds({ ...rounds, ours: decodeOnce, torch: torchOp('decode'), noTorch });
    // The bound is a ceiling: measured again right after the decode rounds, the higher reading counts
    // (once, something else on the machine held the first reading to half, and decode "beat" it 1.9×).
    read = Math.max(read, measureReadGbps(1 << 30, 5));
    const weightBytes = workPerToken(weights, o.decodeTokens / 2).weight_bytes;
    const bound = (read * 1e9) / weightBytes;

    o.log(`forward + backward, ${B}×${T - 1} next-token targets...`);
    const trainable = trainableModel(weights);
    const describedForward = describeOurSide(frozen, 'forward');
    const describedStep = describeOurSide(trainable, 'forward + backward', weights);
    const describedDecode = describeOurSide(weights, 'decode');
    // A bf16 model's stored weights are not read from here on (the step trains widened copies): let
    // them go, so that our step and PyTorch's running beside it fit in memory together.
    if (o.dtype !== 'f32') {
      weights = frozen = runner = null;
      (globalThis as { gc?: () => void }).gc?.();
    }
    const params = [...trainableParameters(trainable).values()];
    const targets = nextTokenTargets(ids, B, T);
    // Between rounds we keep our state, as a training loop does, unless our step and PyTorch's do not
    // fit in memory together (f32 on a 24 GiB machine). Then, outside the timed step: first the
    // heap's free pages (the step's activations) go back to the system; if that is not enough, our
    // gradients are let go and collected too (touched again before the next step), which takes a
    // collector we may call (the CLI's per-dtype child runs with --expose-gc).
    const gc = (globalThis as { gc?: () => void }).gc;
    let between: BetweenRounds = 'kept';
    let release = false;
    const stepOnce = () => {
      if (release) for (const p of params) p.ensureGrad().fill(0);
      const t = seconds(() => {
        for (const p of params) p.zeroGrad();
        const tape = new Tape();
        const r = llamaForward(trainable, ids, { batch: B, seqLen: T, targets, tape });
        if (!r.loss) throw new Error('bench model: no loss');
        tape.backward(r.loss);
        tape.clear();
      });
      if (release) {
        for (const p of params) p.grad = null;
        gc?.();
      }
      if (between !== 'kept') trimHeap();
      return t;
    };
    stepOnce();
    if (w) {
      const torchPeak = Number((await w.run('forward_backward')).peak_rss_bytes ?? 0);
      const torchIdle = Number((await w.run('release')).rss_bytes ?? torchPeak);
      const ourPeak = process.resourceUsage().maxRSS * 1024;
      const room = 0.9 * totalMemory();
      if (ourPeak + torchPeak > room) {
        trimHeap();
        const ourTrimmed = residentBytes();
        const trimmedFits = Math.max(ourTrimmed + torchPeak, ourPeak + torchIdle) <= room;
        release = !trimmedFits && gc !== undefined;
        between = release ? 'gradients released' : 'heap trimmed';
      }
      o.log(
        `  memory: our step ${gib(ourPeak)}, PyTorch's ${gib(torchPeak)} (${gib(torchIdle)} between steps) ` +
          `of ${gib(totalMemory())}: between rounds ${between}`,
      );
      if (release) {
        for (const p of params) p.grad = null;
        gc?.();
        trimHeap();
      }
    }
    const step = await compareRounds({
      ...rounds,
      ours: stepOnce,
      torch: torchOp('forward_backward', 'release'),
      noTorch,
    });
    const trainTokens = B * (T - 1);
    const pytorchEnd = worker ? await worker.close() : null;
    worker = null;

    const toBound = fractionOfCeiling(dec.shorten_times, (t) => o.decodeTokens / t, bound);
    const run: ModelBenchRun = {
      bench: 'model',
      dtype: o.dtype,
      model: shapeSummary(c),
      batch: B,
      seq_len: T,
      decode_tokens: o.decodeTokens,
      threads,
      machine: { peak_gflops: peak, read_gbps: read },
      pytorch_reference: reference,
      pytorch: info && pytorchEnd ? { ...info, peak_rss_bytes: pytorchEnd.peak_rss_bytes } : null,
      runs_in: {
        shorten: {
          forward: describedForward,
          forward_backward: describedStep,
          decode: describedDecode,
        },
        pytorch: info?.runs_in ?? null,
      },
      forward: {
        ...figure(fwd, B * T),
        gflop_per_token: flopsPerToken / 1e9,
        gflops: fwdFlops / fwd.shorten_s / 1e9,
        ratio_to_peak: fractionOfCeiling(fwd.shorten_times, (t) => fwdFlops / t / 1e9, peak),
      },
      forward_backward: { ...figure(step, trainTokens), between_rounds: between },
      decode: {
        ...figure(dec, o.decodeTokens),
        weight_bytes: weightBytes,
        bound_tokens_per_s: bound,
        ratio_to_bound: toBound,
        above_bound: (toBound.low ?? toBound.median) > 1,
      },
    };
    return run;
  } finally {
    worker?.kill();
  }
}

/** The run as text: one line per figure, each ratio beside its interval and its ceiling. */
export function formatModelBench(r: ModelBenchRun): string {
  const m = r.model;
  const tps = (x: number | null) => (x === null ? '' : `${x.toFixed(1)} tok/s`);
  const line = (name: string, f: ThroughputFigure, extra: string) =>
    `  ${name.padEnd(18)}${tps(f.tokens_per_s).padStart(14)}   PyTorch ${(tps(f.pytorch_tokens_per_s) || '-').padStart(12)}   ${formatSpeedup(f)}${extra}`;
  return [
    `bench model, ${r.dtype} weights: ${m.hidden} wide, ${m.layers} blocks, vocabulary ${m.vocab}; ` +
      `batch ${r.batch}×${r.seq_len}, decode ${r.decode_tokens} tokens; ${r.threads} threads; ` +
      `FMA peak ${r.machine.peak_gflops.toFixed(0)} GFLOP/s, read ${r.machine.read_gbps.toFixed(1)} GB/s`,
    `  ours: ${r.runs_in.shorten.forward}`,
    `        ${r.runs_in.shorten.forward_backward}`,
    `        ${r.runs_in.shorten.decode}`,
    r.pytorch_reference
      ? `  ${formatTorchReference(r.pytorch_reference)}`
      : '  PyTorch: skipped (--no-torch)',
    ...(r.runs_in.pytorch ? [`  PyTorch runs: ${r.runs_in.pytorch}`] : []),
    line(
      'forward',
      r.forward,
      `\n${' '.repeat(20)}${r.forward.gflops.toFixed(0)} GFLOP/s (${r.forward.gflop_per_token.toPrecision(3)} GFLOP/token) = ` +
        `${formatFraction(r.forward.ratio_to_peak)} of the FMA peak`,
    ),
    line(
      'forward+backward',
      r.forward_backward,
      r.forward_backward.between_rounds === 'kept'
        ? ''
        : `\n${' '.repeat(20)}between rounds: ${r.forward_backward.between_rounds} (our step and PyTorch's would not fit in memory together)`,
    ),
    line(
      'decode, batch 1',
      r.decode,
      `\n${' '.repeat(20)}${formatFraction(r.decode.ratio_to_bound)} of the bandwidth bound ` +
        (r.decode.above_bound ? '(above it: the bandwidth reading was disturbed, not a result) ' : '') +
        `${r.decode.bound_tokens_per_s.toFixed(1)} tok/s (${(r.decode.weight_bytes / 1e9).toPrecision(3)} GB of weights per token ÷ ${r.machine.read_gbps.toFixed(1)} GB/s)`,
    ),
  ].join('\n');
}
