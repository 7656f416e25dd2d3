// Loads the compiled addon and states the raw shape of what it exports.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Weight storage types as the addon numbers them. */
export const WEIGHT_F32 = 0;
export const WEIGHT_BF16 = 1;
export const WEIGHT_F16 = 2;
export type WeightCode = typeof WEIGHT_F32 | typeof WEIGHT_BF16 | typeof WEIGHT_F16;

export interface NativeBinding {
  gemmF32(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  gemmRoundedBf16(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  gemmHalf(
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Uint16Array,
    ldb: number,
    bType: WeightCode,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  gemv(
    n: number,
    k: number,
    alpha: number,
    w: Float32Array | Uint16Array,
    ldw: number,
    wType: WeightCode,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void;
  convert(kind: 0 | 1 | 2 | 3, src: Float32Array | Uint16Array, dst: Float32Array | Uint16Array): void;
  mmapFile(path: string): ArrayBuffer;
  releaseMappedPages(view: ArrayBufferView): void;
  adviseHugePages(): number;
  hugePagesActive(): boolean;
  trimHeap(): boolean;
  threadCount(): number;
  setThreadCount(n: number): void;
  isa(): string;
  bestIsa(): string;
  setIsa(name: string): boolean;
  cpuFeatures(): Record<string, boolean>;
  amxActive(): boolean;
  setAmx(on: boolean): boolean;
  measurePeakGflops(seconds: number): number;
  measureSustainedGflops(seconds: number): number;
  measureF32KernelGflops(seconds: number): number;
  measureReadGbps(bytes: number, repeats: number): number;
}

function findAddon(): string {
  // Works from src/native (tsx) and dist/native (compiled): the build folder is two levels up.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../build/Release/shorten_native.node')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `shorten: the native addon is not built (looked for ${candidates.join(', ')}); run 'npm install' or 'npm run install'`,
  );
}

const require = createRequire(import.meta.url);
export const binding = require(findAddon()) as NativeBinding;
