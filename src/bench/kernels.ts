// The kernel benchmark: GEMM and GEMV on the model shapes that matter, as ratios to the
// machine's FMA peak and read bandwidth, both measured by the addon in the same run.
import { performance } from 'node:perf_hooks';
import {
  gemmF32,
  gemmHalf,
  gemv,
  f32ToBf16,
  f32ToF16,
  measurePeakGflops,
  measureReadGbps,
} from '../native/index.js';

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
}
export interface GemvRow {
  kernel: 'gemv';
  a: 'f32';
  b: 'f32' | 'bf16' | 'f16';
  m: 1;
  k: number;
  n: number;
  gbps: number;
  ratio_to_read: number;
}
export interface KernelBench {
  peak_gflops: number;
  read_gbps: number;
  threads: number;
  rows: (GemmRow | GemvRow)[];
}

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

function timeMedian(runs: number, fn: () => void): number {
  fn(); // warm-up: page faults, packing buffers, thread wake-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

export async function benchKernels(opts: { runs: number; log: (s: string) => void }): Promise<KernelBench> {
  const runs = Math.max(1, opts.runs);
  const { threadCount } = await import('../native/index.js');
  opts.log('measuring FMA peak and read bandwidth...');
  const peak = measurePeakGflops(1.0);
  const read = measureReadGbps(1 << 30, 5);
  const rows: (GemmRow | GemvRow)[] = [];
  const shapes: [number, number, number][] = [
    [128, 2048, 2048],
    [512, 2048, 5632],
    [512, 5632, 2048],
  ];
  for (const [m, k, n] of shapes) {
    const flops = 2 * m * k * n;
    const a = randomArray(m * k);
    const bf = randomArray(k * n);
    const c = new Float32Array(m * n);
    for (const trans of ['NN', 'NT', 'TN'] as const) {
      const t = timeMedian(runs, () =>
        gemmF32({ transA: trans === 'TN', transB: trans === 'NT', m, n, k, a, b: bf, c }),
      );
      const gflops = flops / t / 1e9;
      rows.push({ kernel: 'gemm', a: 'f32', b: 'f32', trans, m, k, n, gflops, ratio_to_peak: gflops / peak });
      opts.log(`gemm f32 ${trans} ${m}x${k}x${n}: ${gflops.toFixed(1)} GFLOP/s`);
    }
    for (const bType of ['bf16', 'f16'] as const) {
      const bh = bType === 'bf16' ? f32ToBf16(bf) : f32ToF16(bf);
      for (const trans of ['NT', 'NN'] as const) {
        const t = timeMedian(runs, () => gemmHalf({ transB: trans === 'NT', m, n, k, a, b: bh, bType, c }));
        const gflops = flops / t / 1e9;
        rows.push({
          kernel: 'gemm',
          a: 'f32',
          b: bType,
          trans,
          m,
          k,
          n,
          gflops,
          ratio_to_peak: gflops / peak,
        });
        opts.log(`gemm ${bType} ${trans} ${m}x${k}x${n}: ${gflops.toFixed(1)} GFLOP/s`);
      }
    }
  }
  const n = 4096,
    k = 4096;
  const wf = randomArray(n * k);
  const x = randomArray(k);
  const y = new Float32Array(n);
  for (const wType of ['f32', 'bf16', 'f16'] as const) {
    const w = wType === 'f32' ? wf : wType === 'bf16' ? f32ToBf16(wf) : f32ToF16(wf);
    const bytes = w.byteLength;
    const t = timeMedian(runs * 4, () => gemv({ n, k, w, wType, x, y }));
    const gbps = bytes / t / 1e9;
    rows.push({ kernel: 'gemv', a: 'f32', b: wType, m: 1, k, n, gbps, ratio_to_read: gbps / read });
    opts.log(`gemv ${wType} 1x${k}x${n}: ${gbps.toFixed(1)} GB/s`);
  }
  return { peak_gflops: peak, read_gbps: read, threads: threadCount(), rows };
}
