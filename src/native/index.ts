// Typed wrappers over the native kernels: named options with defaults, row strides that
// default to tightly packed rows, and the machine controls (threads, ISA path).
import { binding, WEIGHT_BF16, WEIGHT_F16, WEIGHT_F32 } from './binding.js';
import type { WeightCode } from './binding.js';

export { WEIGHT_BF16, WEIGHT_F16, WEIGHT_F32 };
export type { WeightCode };

export type Isa = 'avx512' | 'avx2' | 'portable';
export type HalfType = 'bf16' | 'f16';

export interface GemmF32Options {
  transA?: boolean;
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  a: Float32Array;
  lda?: number;
  b: Float32Array;
  ldb?: number;
  beta?: number;
  c: Float32Array;
  ldc?: number;
}

/** C = alpha·op(A)·op(B) + beta·C, all f32, row-major. beta = 0 (the default) ignores C's contents. */
export function gemmF32(o: GemmF32Options): void {
  callF32Like(binding.gemmF32, o);
}

/**
 * The same product with A and B rounded to bf16 (nearest even) and f32 accumulation: the weight
 * gradient of bf16 training, on AMX tiles where the CPU has them.
 */
export function gemmRoundedBf16(o: GemmF32Options): void {
  callF32Like(binding.gemmRoundedBf16, o);
}

function callF32Like(fn: typeof binding.gemmF32, o: GemmF32Options): void {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  fn.call(
    binding,
    transA,
    transB,
    o.m,
    o.n,
    o.k,
    o.alpha ?? 1,
    o.a,
    o.lda ?? (transA ? o.m : o.k),
    o.b,
    o.ldb ?? (transB ? o.k : o.n),
    o.beta ?? 0,
    o.c,
    o.ldc ?? o.n,
  );
}

export interface GemmHalfOptions {
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  a: Float32Array;
  lda?: number;
  b: Uint16Array;
  ldb?: number;
  bType: HalfType;
  beta?: number;
  c: Float32Array;
  ldc?: number;
}

/** C = alpha·A·op(B) + beta·C with f32 A and bf16/f16 B (transB: B stored n×k, a Linear weight). */
export function gemmHalf(o: GemmHalfOptions): void {
  const transB = o.transB ?? false;
  binding.gemmHalf(
    transB,
    o.m,
    o.n,
    o.k,
    o.alpha ?? 1,
    o.a,
    o.lda ?? o.k,
    o.b,
    o.ldb ?? (transB ? o.k : o.n),
    halfCode(o.bType),
    o.beta ?? 0,
    o.c,
    o.ldc ?? o.n,
  );
}

export interface GemvOptions {
  n: number;
  k: number;
  alpha?: number;
  w: Float32Array | Uint16Array;
  ldw?: number;
  wType: 'f32' | HalfType;
  x: Float32Array;
  beta?: number;
  y: Float32Array;
}

/** y = alpha·W·x + beta·y with W stored n×k (f32, bf16 or f16): the batch-1 decode product. */
export function gemv(o: GemvOptions): void {
  const code = o.wType === 'f32' ? WEIGHT_F32 : halfCode(o.wType);
  binding.gemv(o.n, o.k, o.alpha ?? 1, o.w, o.ldw ?? o.k, code, o.x, o.beta ?? 0, o.y);
}

function halfCode(t: HalfType): WeightCode {
  if (t === 'bf16') return WEIGHT_BF16;
  if (t === 'f16') return WEIGHT_F16;
  throw new RangeError(`unknown half type '${String(t)}': expected 'bf16' or 'f16'`);
}

export function f32ToBf16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  binding.convert(0, src, dst);
  return dst;
}
export function bf16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  binding.convert(1, src, dst);
  return dst;
}
export function f32ToF16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  binding.convert(2, src, dst);
  return dst;
}
export function f16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  binding.convert(3, src, dst);
  return dst;
}

/** Maps a whole file copy-on-write: its bytes are never copied into the JS heap, nor the file changed. */
export function mmapFile(path: string): ArrayBuffer {
  return binding.mmapFile(path);
}

/**
 * Unmaps the whole pages under `view` (a view into an mmapFile buffer whose bytes were copied
 * elsewhere), so resident memory holds the copy only; reading the view again maps them back.
 */
export function releaseMappedPages(view: ArrayBufferView): void {
  binding.releaseMappedPages(view);
}

/**
 * Marks the heap's growth since the last call as wanting transparent huge pages (Linux), before its
 * pages are first written: called after each big tensor allocation. Returns the bytes marked.
 */
export function adviseHugePages(): number {
  return binding.adviseHugePages();
}

/**
 * Hands the heap's free pages back to the system (malloc_trim): a process that keeps 1 GiB of freed
 * heap warm for its next step can give it to another process between steps.
 */
export function trimHeap(): boolean {
  return binding.trimHeap();
}

/** Whether the heap is advised into huge pages (Linux with THP not "never", SHORTEN_HUGE_PAGES not 0). */
export function hugePagesActive(): boolean {
  return binding.hugePagesActive();
}

export function threadCount(): number {
  return binding.threadCount();
}
export function setThreadCount(n: number): void {
  binding.setThreadCount(n);
}

/** The kernel path in use now. */
export function activeIsa(): Isa {
  return binding.isa() as Isa;
}
/** The widest path this CPU runs. */
export function bestIsa(): Isa {
  return binding.bestIsa() as Isa;
}
/** Forces a path; returns false (changing nothing) when the CPU cannot run it. */
export function setIsa(isa: Isa): boolean {
  return binding.setIsa(isa);
}
/** The paths this CPU can run, widest first. */
export function availableIsas(): Isa[] {
  const all: Isa[] = ['avx512', 'avx2', 'portable'];
  return all.slice(all.indexOf(bestIsa()));
}
export function cpuFeatures(): Record<string, boolean> {
  return binding.cpuFeatures();
}

/** Whether bf16 GEMMs run on AMX tiles now (a CPU with AMX-BF16, on the AVX-512 path). */
export function amxActive(): boolean {
  return binding.amxActive();
}
/** Turns the AMX bf16 kernels on or off; returns false (changing nothing) when the CPU has none. */
export function setAmx(on: boolean): boolean {
  return binding.setAmx(on);
}

/** The f32 FMA peak of all threads in GFLOP/s, measured over about `seconds`. */
export function measurePeakGflops(seconds = 0.5): number {
  return binding.measurePeakGflops(seconds);
}
/**
 * The f32 FMA rate of all threads that the machine sustains over bursts as long as a large GEMM
 * (about 12 ms): the median burst over about `seconds`. Below the peak by whatever interrupts,
 * neighbours on a shared host and clock drops under sustained load take.
 */
export function measureSustainedGflops(seconds = 0.6): number {
  return binding.measureSustainedGflops(seconds);
}
/**
 * The active path's f32 GEMM micro-kernel alone on all threads, in GFLOP/s: full tiles on panels that
 * stay in cache (no packing, no C traffic), the median of bursts as long as the sustained probe's. The
 * ceiling of the f32 GEMM rows; 0 on the portable path.
 */
export function measureF32KernelGflops(seconds = 0.6): number {
  return binding.measureF32KernelGflops(seconds);
}
/**
 * Memory read bandwidth in GB/s over a buffer of `bytes` (8 streams per thread), best of `repeats`.
 * The buffer is kept for the next call of the same size, so probes can be interleaved with the work
 * they measure without allocating and filling it each time.
 */
export function measureReadGbps(bytes = 1 << 30, repeats = 5): number {
  return binding.measureReadGbps(bytes, repeats);
}
