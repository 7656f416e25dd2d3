// Finds a Python that has PyTorch (Debian's python3-torch lives under /usr/bin/python3, which a
// pyenv python3 on PATH may hide), checks that an optimized BLAS is behind it, and gives the tuned
// environment every comparison runs PyTorch in and states.
import { spawnSync } from 'node:child_process';

let cached: string | null | undefined;

/** The first python with `import torch` working, or null when PyTorch is absent. */
export function findTorchPython(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const py of [process.env.SHORTEN_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) {
      cached = py;
      break;
    }
  }
  return cached;
}

/**
 * The environment for a PyTorch reference run: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some
 * machines for old OpenBLAS builds) force a slow generic kernel in PyTorch's OpenBLAS, so both are
 * removed for that one command, and OpenMP gets the same thread count as our kernels. (Debian's
 * python3-torch calls libblas.so.3: with only the reference BLAS installed, not libopenblas0, its f32
 * matmul runs at a few GFLOP/s and every ratio against it is meaningless.)
 */
export function torchEnvironment(threads: number | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TUNED };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (threads !== undefined) {
    env.OMP_NUM_THREADS = String(threads);
    env.OPENBLAS_NUM_THREADS = String(threads);
  }
  return env;
}

/**
 * Without a passive wait policy PyTorch's OpenMP workers and OpenBLAS's own threads spin against
 * each other on a 2-core machine, and PyTorch reads about half its speed.
 */
const TUNED = { OMP_WAIT_POLICY: 'PASSIVE' };

/** What a comparison against PyTorch ran against, or why there is no ratio. */
export interface TorchReference {
  python: string | null;
  version: string | null;
  /** The environment the reference ran in: the variables set, and those removed. */
  environment: { set: Record<string, string>; removed: string[] };
  /** Median of five 1024×1024 f32 matmuls, ms: an optimized BLAS takes well under 50. */
  blas_matmul_1024_ms: number | null;
  /** Why no ratio is given against this PyTorch, when none is. */
  refused: string | null;
}

/** The slowest 1024² f32 matmul an optimized BLAS is allowed (the reference BLAS takes seconds). */
const BLAS_LIMIT_MS = 50;
const BLAS_CHECK = `
import json, statistics, time, torch
torch.set_num_threads(int(__import__('os').environ.get('OMP_NUM_THREADS', '2')))
a = torch.randn(1024, 1024); b = torch.randn(1024, 1024); a @ b
ts = []
for _ in range(5):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
print(json.dumps({"version": torch.__version__, "ms": statistics.median(ts) * 1000}))
`;

let reference: TorchReference | undefined;

/** Checks once per process that PyTorch exists and runs on an optimized BLAS. */
export function torchReference(threads: number): TorchReference {
  if (reference) return reference;
  const env = torchEnvironment(threads);
  const environment = {
    set: { ...TUNED, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    removed: ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => process.env[k] !== undefined),
  };
  const py = findTorchPython();
  if (!py) {
    reference = {
      python: null,
      version: null,
      environment,
      blas_matmul_1024_ms: null,
      refused: 'PyTorch is not installed (Debian: apt-get install python3-torch libopenblas0): no comparison',
    };
    return reference;
  }
  const r = spawnSync(py, ['-c', BLAS_CHECK], { encoding: 'utf8', env, timeout: 120_000 });
  const parsed =
    r.status === 0
      ? (JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; ms: number })
      : null;
  const ms = parsed?.ms ?? null;
  reference = {
    python: py,
    version: parsed?.version ?? null,
    environment,
    blas_matmul_1024_ms: ms,
    refused:
      ms === null
        ? `PyTorch's BLAS check failed (${r.stderr.slice(-300) || `exit ${r.status}`}): no comparison`
        : ms > BLAS_LIMIT_MS
          ? `PyTorch runs on the reference BLAS (a 1024² f32 matmul took ${ms.toFixed(0)} ms, over ${BLAS_LIMIT_MS}): apt-get install libopenblas0; no ratio against it`
          : null,
  };
  return reference;
}

/** One line for a benchmark's text: which PyTorch ran, in which environment, or why none did. */
export function formatTorchReference(r: TorchReference): string {
  const env = Object.entries(r.environment.set)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const removed = r.environment.removed.length ? `, unset ${r.environment.removed.join(' ')}` : '';
  const blas =
    r.blas_matmul_1024_ms === null ? '' : `; 1024² f32 matmul ${r.blas_matmul_1024_ms.toFixed(1)} ms`;
  const head = r.python ? `PyTorch ${r.version ?? '?'} (${r.python}) in ${env}${removed}${blas}` : 'PyTorch';
  return r.refused ? `${head}: no ratio: ${r.refused}` : head;
}
