// `shorten bench score`: on the synthetic 2048-wide 16-block model with weights stored in one dtype,
// the time of the Taylor criterion and of the cached ppl sweep on 10 × 128 calibration tokens, the
// sweep's cost against L full passes, and this process's peak resident memory against the weight
// bytes; and, where PyTorch runs, the same Taylor computation and PyTorch's naive sweep (L forwards,
// each without one block) in the same dtype, in rounds interleaved with ours. The CLI runs each dtype
// in its own process, so one dtype's peak memory does not hide the other's.
import { runHead, weightSource } from '../model/block.js';
import type { LlamaConfig } from '../model/config.js';
import { seededRandom } from '../model/sampling.js';
import { threadCount } from '../native/index.js';
import { calibrationBatches, prefixStates } from '../prune/calibration-batches.js';
import { pplScores } from '../prune/criteria/ppl.js';
import { taylorScores } from '../prune/criteria/taylor.js';
import type { CalibrationSet } from '../text/calibration.js';
import type { BenchDtype } from './bench-models.js';
import { describeOurSide, shapeSummary, torchShape } from './bench-models.js';
import type { Comparison, RoundsSettings } from './torch-comparison.js';
import { compareRounds, formatSeconds, formatSpeedup } from './torch-comparison.js';
import { syntheticConfig, syntheticLlama } from './synthetic-model.js';
import type { TorchReference } from './torch-runner.js';
import { formatTorchReference, torchReference } from './torch-runner.js';
import { TorchWorker } from './torch-worker.js';
import type { TorchWorkerInfo } from './torch-worker.js';

export interface BenchScoreOptions extends RoundsSettings {
  shape: Partial<LlamaConfig>;
  samples: number;
  seqLen: number;
  dtype: BenchDtype;
  torch: boolean;
  log: (s: string) => void;
}

/** A timed computation on both sides: seconds, and our speed over PyTorch's with its interval. */
export type ScoreFigure = Omit<Comparison, 'shorten_times'>;

export interface ScoreBenchRun {
  bench: 'score';
  dtype: BenchDtype;
  model: Record<string, number | boolean>;
  calibration_tokens: number;
  threads: number;
  pytorch_reference: TorchReference | null;
  pytorch: (TorchWorkerInfo & { peak_rss_bytes: number | null }) | null;
  runs_in: { shorten: string; pytorch: string | null };
  /** The median of three full forward passes with the head: the unit of the sweep's cost. */
  full_pass_s: number;
  taylor: ScoreFigure;
  /** Our speed over PyTorch's Taylor that the issue asks for. */
  taylor_target: number;
  /** Our cached sweep against PyTorch's naive one (L forwards of L-1 blocks). */
  ppl_sweep: ScoreFigure;
  ppl_sweep_target: number;
  ppl_sweep_over_L_full_passes: number;
  ppl_sweep_flop_floor: number;
  ppl_target: number;
  weight_bytes: number;
  /** This process's peak resident memory (PyTorch runs in its own process: its peak is pytorch.peak_rss_bytes). */
  peak_rss_bytes: number;
  peak_rss_over_weights_gib: number;
  memory_target: string;
  memory_ok: boolean;
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

function scoreFigure(c: Comparison): ScoreFigure {
  const { shorten_times: _times, ...rest } = c;
  return rest;
}

export async function benchScore(o: BenchScoreOptions): Promise<ScoreBenchRun> {
  const threads = threadCount();
  const reference = o.torch ? torchReference(threads) : null;
  const noTorch = reference ? (reference.refused ?? '') : 'PyTorch comparison skipped (--no-torch)';
  const rounds = { budgetS: o.budgetS, precision: o.precision, maxRounds: o.maxRounds };
  const c = syntheticConfig(o.shape);
  let worker: TorchWorker | null = null;
  try {
    let info: TorchWorkerInfo | null = null;
    if (reference && !reference.refused) {
      o.log(`starting PyTorch (${o.dtype}) beside ours...`);
      const started = await TorchWorker.start(
        'score',
        { ...torchShape(c), dtype: o.dtype, batch: o.samples, seq: o.seqLen },
        threads,
      );
      worker = started.worker;
      info = started.info;
    }
    const w = worker;
    o.log(`generating the synthetic model (${c.numLayers} blocks, ${o.dtype})`);
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
    const torchOp = (op: string) => (w ? async () => (await w.run(op)).seconds : null);
    // No separate warm-up: one run of each takes tens of seconds on the anchor, and the three full
    // passes above have already touched our forward's buffers.
    o.log('taylor, ours and PyTorch in turn');
    const taylor = await compareRounds({
      ...rounds,
      ours: () => seconds(() => taylorScores(weights, calib, { unit: 'block' })),
      torch: torchOp('taylor'),
      noTorch,
    });
    o.log('ppl sweep: our cached sweep and PyTorch’s naive one in turn');
    const sweep = await compareRounds({
      ...rounds,
      ours: () => seconds(() => pplScores(weights, calib, { unit: 'block' })),
      torch: torchOp('ppl_sweep'),
      noTorch,
    });
    const pytorchEnd = worker ? await worker.close() : null;
    worker = null;
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    return {
      bench: 'score',
      dtype: o.dtype,
      model: shapeSummary(c),
      calibration_tokens: o.samples * o.seqLen,
      threads,
      pytorch_reference: reference,
      pytorch: info && pytorchEnd ? { ...info, peak_rss_bytes: pytorchEnd.peak_rss_bytes } : null,
      runs_in: { shorten: describeOurSide(weights, 'taylor and ppl sweep'), pytorch: info?.runs_in ?? null },
      full_pass_s: fullPass,
      taylor: scoreFigure(taylor),
      taylor_target: 1.2,
      ppl_sweep: scoreFigure(sweep),
      ppl_sweep_target: 1.8,
      ppl_sweep_over_L_full_passes: sweep.shorten_s / (c.numLayers * fullPass),
      ppl_sweep_flop_floor: sweepFlopFloor(c, o.seqLen),
      ppl_target: 0.55,
      weight_bytes: weightBytes,
      peak_rss_bytes: maxRssBytes,
      peak_rss_over_weights_gib: (maxRssBytes - weightBytes) / 2 ** 30,
      memory_target: 'peak_rss_bytes ≤ weight_bytes + 2 GiB',
      memory_ok: maxRssBytes <= weightBytes + 2 * 2 ** 30,
    };
  } finally {
    worker?.kill();
  }
}

/** The run as text. */
export function formatScoreBench(r: ScoreBenchRun): string {
  const m = r.model;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  return [
    `bench score, ${r.dtype} weights: ${m.hidden} wide, ${m.layers} blocks, vocabulary ${m.vocab}; ` +
      `${r.calibration_tokens} calibration tokens; ${r.threads} threads`,
    `  ours: ${r.runs_in.shorten}`,
    r.pytorch_reference
      ? `  ${formatTorchReference(r.pytorch_reference)}`
      : '  PyTorch: skipped (--no-torch)',
    ...(r.runs_in.pytorch ? [`  PyTorch runs: ${r.runs_in.pytorch}`] : []),
    `  taylor      ${formatSeconds(r.taylor.shorten_s)}, PyTorch ${formatSeconds(r.taylor.pytorch_s)}: ` +
      `${formatSpeedup(r.taylor)} (target ≥ ${r.taylor_target})`,
    `  ppl sweep   ${formatSeconds(r.ppl_sweep.shorten_s)}, PyTorch's naive sweep ${formatSeconds(r.ppl_sweep.pytorch_s)}: ` +
      `${formatSpeedup(r.ppl_sweep)} (target ≥ ${r.ppl_sweep_target})`,
    `  ppl sweep over ${m.layers} full passes of ${formatSeconds(r.full_pass_s)}: ${r.ppl_sweep_over_L_full_passes.toFixed(3)} ` +
      `(arithmetic floor ${r.ppl_sweep_flop_floor.toFixed(3)}, target ≤ ${r.ppl_target})`,
    `  peak memory ${gib(r.peak_rss_bytes)}: weights ${gib(r.weight_bytes)} + ${r.peak_rss_over_weights_gib.toFixed(2)} GiB ` +
      `(${r.memory_ok ? 'within' : 'over'} weights + 2 GiB)` +
      (r.pytorch?.peak_rss_bytes ? `; PyTorch's process ${gib(r.pytorch.peak_rss_bytes)}` : ''),
  ].join('\n');
}
