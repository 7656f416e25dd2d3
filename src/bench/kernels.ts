// The kernel benchmark: GEMM and GEMV on the model shapes that matter, as ratios to the
// machine's FMA peak (and the FMA rate it sustains) and read bandwidth, all measured by the addon in
// the same run, and, where PyTorch runs on an optimized BLAS, against torch.matmul on the same shapes
// and forms, in rounds that alternate short batches of ours and PyTorch's (the timing rule).
import { performance } from 'node:perf_hooks';
import {
  gemmF32,
  gemmHalf,
  gemv,
  f32ToBf16,
  f32ToF16,
  measureF32KernelGflops,
  measurePeakGflops,
  measureReadGbps,
  measureSustainedGflops,
} from '../native/index.js';
import type { RatioEstimate } from './paired-ratio.js';
import { compareRounds } from './torch-comparison.js';
import type { TorchReference } from './torch-runner.js';
import { formatTorchReference, torchReference } from './torch-runner.js';
import { TorchWorker } from './torch-worker.js';

export interface GemmRow {
  kernel: 'gemm';
  a: 'f32';
  b: 'f32' | 'bf16' | 'f16';
  trans: 'NN' | 'NT' | 'TN';
  m: number;
  k: number;
  n: number;
  gflops: number;
  ratio_to_peak: number;
  ratio_to_sustained: number;
  /**
   * The FMA peak probed again right before this row's runs, and the row's rate against it: a ratio
   * that a shared host's speed drifting over the run (minutes) leaves alone.
   */
  peak_beside_gflops: number;
  ratio_to_peak_beside: number;
  /** torch.matmul on the same shape and form (bf16: both operands bf16), when PyTorch ran. */
  torch_gflops?: number;
  /** Our rate over torch.matmul's: the median over interleaved rounds. */
  ratio_to_torch?: number;
  /** Its 95% interval, and the rounds it came from (the timing rule). */
  ratio_to_torch_estimate?: RatioEstimate;
  /** Why there is no ratio to PyTorch or no interval for it. */
  torch_note?: string;
}
export interface GemvRow {
  kernel: 'gemv';
  a: 'f32';
  b: 'f32' | 'bf16' | 'f16';
  m: 1;
  k: number;
  n: number;
  gbps: number;
  /** The median over rounds of this GEMV's rate against a read probe run just before it. */
  ratio_to_read: number;
  /** The median of those adjacent read probes. */
  read_gbps: number;
}
export interface KernelBench {
  peak_gflops: number;
  /** The median FMA rate over 12 ms bursts: what a GEMM-length run can sustain at that moment. */
  sustained_gflops: number;
  /**
   * The f32 GEMM micro-kernel alone (cache-resident panels, no packing or C traffic), over bursts as
   * long as the sustained probe's: the ceiling of the f32 GEMM rows, which also pack A and B from memory.
   */
  f32_kernel_gflops: number;
  f32_kernel_ratio_to_peak: number;
  read_gbps: number;
  threads: number;
  /** The PyTorch that ran the comparison, or why there was none. */
  torch: { version: string; threads: number; runs_in: string } | { skipped: string };
  /** The PyTorch reference check and the environment it ran in; null with --no-torch. */
  pytorch_reference: TorchReference | null;
  rows: (GemmRow | GemvRow)[];
}

/** Seconds of the FMA peak probe run right before each GEMM row. */
const PEAK_BESIDE_SECONDS = 0.15;

/** Bytes of GEMV weights cycled through, so each call reads its matrix from memory. */
const GEMV_STREAM_BYTES = 256 * 2 ** 20;

function randomArray(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export async function benchKernels(opts: {
  runs: number;
  torch?: boolean;
  /** Seconds of interleaved rounds per GEMM row (default 3). */
  budgetS?: number;
  precision?: number;
  log: (s: string) => void;
}): Promise<KernelBench> {
  const runs = Math.max(1, opts.runs);
  const { threadCount } = await import('../native/index.js');
  const threads = threadCount();
  const reference = opts.torch !== false ? torchReference(threads) : null;
  opts.log('measuring FMA peak, sustained FMA rate, the f32 micro-kernel and read bandwidth...');
  const peak = measurePeakGflops(1.0);
  const sustained = measureSustainedGflops(0.6);
  const f32Kernel = measureF32KernelGflops(0.6);
  const read = measureReadGbps(1 << 30, 5);
  let torch: KernelBench['torch'] = { skipped: 'disabled by --no-torch' };
  let worker: TorchWorker | null = null;
  if (reference?.refused) torch = { skipped: reference.refused };
  else if (reference) {
    const started = await TorchWorker.start('kernels', {}, threads);
    worker = started.worker;
    torch = {
      version: started.info.torch_version,
      threads: started.info.threads,
      runs_in: started.info.runs_in,
    };
  }
  const rounds = { budgetS: opts.budgetS ?? 3, precision: opts.precision ?? 0.05 };
  const rows: (GemmRow | GemvRow)[] = [];
  const shapes: [number, number, number][] = [
    [128, 2048, 2048],
    [512, 2048, 5632],
    [512, 5632, 2048],
  ];
  const gemmRow = async (
    b: GemmRow['b'],
    trans: GemmRow['trans'],
    m: number,
    k: number,
    n: number,
    call: () => void,
  ) => {
    const peakBeside = measurePeakGflops(PEAK_BESIDE_SECONDS);
    // A round: `runs` calls of ours, then (or first, every other round) `runs` of torch.matmul.
    const batch = () => {
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) call();
      return (performance.now() - t0) / 1000 / runs;
    };
    call(); // warm-up: page faults, packing buffers, thread wake-up
    const w = worker;
    const comparable = w !== null && b !== 'f16' && !(b === 'bf16' && trans === 'TN');
    const c = await compareRounds({
      ...rounds,
      ours: batch,
      torch: comparable
        ? async () => (await w.run('matmul', { m, k, n, b, trans, calls: runs })).seconds
        : null,
      noTorch: w ? `no torch.matmul row for ${b} weights here` : 'skipped' in torch ? torch.skipped : '',
    });
    const gflops = (2 * m * k * n) / c.shorten_s / 1e9;
    const row: GemmRow = {
      kernel: 'gemm',
      a: 'f32',
      b,
      trans,
      m,
      k,
      n,
      gflops,
      ratio_to_peak: gflops / peak,
      ratio_to_sustained: gflops / sustained,
      peak_beside_gflops: peakBeside,
      ratio_to_peak_beside: gflops / peakBeside,
    };
    if (c.speedup && c.pytorch_s !== null) {
      row.torch_gflops = (2 * m * k * n) / c.pytorch_s / 1e9;
      row.ratio_to_torch = c.speedup.median;
      row.ratio_to_torch_estimate = c.speedup;
    }
    if (c.note) row.torch_note = c.note;
    rows.push(row);
    opts.log(`gemm ${b} ${trans} ${m}x${k}x${n}: ${gflops.toFixed(1)} GFLOP/s`);
  };
  try {
    for (const [m, k, n] of shapes) {
      const a = randomArray(m * k);
      const bf = randomArray(k * n);
      const c = new Float32Array(m * n);
      for (const trans of ['NN', 'NT', 'TN'] as const)
        await gemmRow('f32', trans, m, k, n, () =>
          gemmF32({ transA: trans === 'TN', transB: trans === 'NT', m, n, k, a, b: bf, c }),
        );
      for (const bType of ['bf16', 'f16'] as const) {
        const bh = bType === 'bf16' ? f32ToBf16(bf) : f32ToF16(bf);
        for (const trans of ['NT', 'NN'] as const)
          await gemmRow(bType, trans, m, k, n, () =>
            gemmHalf({ transB: trans === 'NT', m, n, k, a, b: bh, bType, c }),
          );
      }
    }
    if (worker) await worker.close();
    worker = null;
  } finally {
    worker?.kill();
  }
  const n = 4096,
    k = 4096;
  const wf = randomArray(n * k);
  const x = randomArray(k);
  const y = new Float32Array(n);
  for (const wType of ['f32', 'bf16', 'f16'] as const) {
    const w0 = wType === 'f32' ? wf : wType === 'bf16' ? f32ToBf16(wf) : f32ToF16(wf);
    const bytes = w0.byteLength;
    // Decode streams every weight from memory once per token. Copies filling 256 MiB, taken in turn,
    // keep a 32 MiB matrix from answering out of a large last-level cache (the same matrix called
    // again read 1.2-1.5x the memory's bandwidth on the development VM).
    const copies = Math.max(1, Math.ceil(GEMV_STREAM_BYTES / bytes));
    const ws = Array.from({ length: copies }, (_, i) => (i === 0 ? w0 : w0.slice()));
    // The memory bandwidth of a shared host moves by half within minutes (38-78 GB/s seen in one
    // session), so each round pairs a read probe with the GEMV calls that follow it, and the ratio
    // is the median of the rounds' own ratios.
    let next = 0;
    const gemvOnce = () => {
      const w = ws[next];
      next = (next + 1) % copies;
      gemv({ n, k, w, wType, x, y });
    };
    gemvOnce(); // warm-up
    const rates: number[] = [],
      reads: number[] = [],
      ratios: number[] = [];
    for (let r = 0; r < Math.max(5, runs); r++) {
      // A round streams every copy once: the same 256 MiB the probe beside it reads.
      const readNow = measureReadGbps(GEMV_STREAM_BYTES, 1);
      const t0 = performance.now();
      for (let c = 0; c < copies; c++) gemvOnce();
      const rate = (copies * bytes) / ((performance.now() - t0) / 1000) / 1e9;
      rates.push(rate);
      reads.push(readNow);
      ratios.push(rate / readNow);
    }
    const gbps = median(rates);
    rows.push({
      kernel: 'gemv',
      a: 'f32',
      b: wType,
      m: 1,
      k,
      n,
      gbps,
      ratio_to_read: median(ratios),
      read_gbps: median(reads),
    });
    opts.log(`gemv ${wType} 1x${k}x${n}: ${gbps.toFixed(1)} GB/s`);
  }
  return {
    peak_gflops: peak,
    sustained_gflops: sustained,
    f32_kernel_gflops: f32Kernel,
    f32_kernel_ratio_to_peak: f32Kernel / peak,
    read_gbps: read,
    threads,
    torch,
    pytorch_reference: reference,
    rows,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);

/** The human-readable form of a kernel benchmark: one line per row, ratios side by side. */
export function formatKernelBench(r: KernelBench): string {
  const lines: string[] = [];
  lines.push(
    `${r.threads} threads: FMA peak ${r.peak_gflops.toFixed(1)} GFLOP/s, sustained ${r.sustained_gflops.toFixed(1)} ` +
      `(${pct(r.sustained_gflops / r.peak_gflops).trim()} of peak), read ${r.read_gbps.toFixed(1)} GB/s`,
  );
  lines.push(
    `f32 micro-kernel alone (no packing, panels in cache): ${r.f32_kernel_gflops.toFixed(1)} GFLOP/s, ` +
      `${pct(r.f32_kernel_ratio_to_peak).trim()} of peak`,
  );
  lines.push(
    r.pytorch_reference
      ? formatTorchReference(r.pytorch_reference)
      : `PyTorch: ${'skipped' in r.torch ? r.torch.skipped : ''}`,
  );
  lines.push(
    `${'kernel'.padEnd(26)}${'GFLOP/s'.padStart(9)}${'of peak'.padStart(9)}${'beside'.padStart(9)}${'of sust.'.padStart(9)}${'torch'.padStart(9)}${'x torch (95% interval)'.padStart(24)}`,
  );
  for (const row of r.rows) {
    const shape = `${row.m}x${row.k}x${row.n}`;
    if (row.kernel === 'gemm') {
      const name = `gemm ${row.b} ${row.trans} ${shape}`;
      const torch = row.torch_gflops === undefined ? '' : row.torch_gflops.toFixed(1);
      const e = row.ratio_to_torch_estimate;
      const x = !e
        ? ''
        : e.low === null || e.high === null
          ? `${e.median.toFixed(2)} (${e.rounds} rounds)`
          : `${e.median.toFixed(2)} (${e.low.toFixed(2)}–${e.high.toFixed(2)})`;
      lines.push(
        `${name.padEnd(26)}${row.gflops.toFixed(1).padStart(9)}  ${pct(row.ratio_to_peak)}  ${pct(row.ratio_to_peak_beside)}  ${pct(row.ratio_to_sustained)}${torch.padStart(9)}${x.padStart(24)}`,
      );
    } else {
      lines.push(
        `${`gemv ${row.b} ${shape}`.padEnd(26)}${row.gbps.toFixed(1).padStart(9)} GB/s, ${pct(row.ratio_to_read).trim()} of the read bandwidth beside it (${row.read_gbps.toFixed(1)} GB/s)`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
