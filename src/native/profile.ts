// Where a forward's time goes: while a profile is active every native kernel call is timed and filed
// under its kind (GEMMs by dtype, form and shape, with their FLOPs), as are tensor allocations, in the
// phase the caller names (forward, backward). The kernels' wrappers call the binding through its
// object, so profiling swaps timed functions into that object and puts the originals back after:
// nothing is measured, and nothing costs, when no profile is active.
import { binding } from './binding.js';

export interface ProfileEntry {
  kind: string;
  phase: string;
  seconds: number;
  calls: number;
  /** Floating-point operations done (GEMM/GEMV rows), 0 otherwise. */
  flops: number;
}

type AnyFn = (...args: unknown[]) => unknown;

/** The kind a kernel call is filed under, and its FLOPs, from its name and arguments. */
function classify(name: string, args: unknown[]): [string, number] {
  const num = (i: number): number => args[i] as number;
  if (name === 'gemmF32') {
    const form = `${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'}`;
    return [`gemm f32 ${form} ${num(2)}×${num(3)}×${num(4)}`, 2 * num(2) * num(3) * num(4)];
  }
  if (name === 'gemmHalf') {
    const form = `N${args[0] ? 'T' : 'N'}`;
    return [`gemm half ${form} ${num(1)}×${num(2)}×${num(3)}`, 2 * num(1) * num(2) * num(3)];
  }
  if (name === 'gemv') return [`gemv ${num(0)}×${num(1)}`, 2 * num(0) * num(1)];
  return [name.replace(/([A-Z])/g, ' $1').toLowerCase(), 0];
}

/** The timings of one profiling session; made by startKernelProfile. */
export class KernelProfile {
  readonly entries = new Map<string, ProfileEntry>();
  phase = 'forward';
  private readonly originals = new Map<string, AnyFn>();

  constructor() {
    const target = binding as unknown as Record<string, unknown>;
    for (const [name, fn] of Object.entries(target)) {
      if (typeof fn !== 'function' || name.startsWith('measure')) continue;
      const original = fn as AnyFn;
      this.originals.set(name, original);
      target[name] = (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return original.apply(binding, args);
        } finally {
          const [kind, flops] = classify(name, args);
          this.add(kind, (performance.now() - t0) / 1000, flops);
        }
      };
    }
  }

  add(kind: string, seconds: number, flops = 0): void {
    const key = `${this.phase}\u0000${kind}`;
    const e = this.entries.get(key) ?? { kind, phase: this.phase, seconds: 0, calls: 0, flops: 0 };
    e.seconds += seconds;
    e.calls++;
    e.flops += flops;
    this.entries.set(key, e);
  }

  /** Puts the untimed kernels back. */
  stop(): void {
    const target = binding as unknown as Record<string, unknown>;
    for (const [name, fn] of this.originals) target[name] = fn;
    if (activeProfile === this) activeProfile = null;
  }
}

let activeProfile: KernelProfile | null = null;

/** Starts timing every kernel call (and allocation) until the returned profile's stop(). */
export function startKernelProfile(): KernelProfile {
  activeProfile?.stop();
  activeProfile = new KernelProfile();
  return activeProfile;
}

/** Times an allocation (or any non-kernel step) under `kind` when a profile is active. */
export function profiled<T>(kind: string, fn: () => T): T {
  const p = activeProfile;
  if (!p) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    p.add(kind, (performance.now() - t0) / 1000);
  }
}
