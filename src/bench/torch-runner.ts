// Finds a Python that has PyTorch (Debian's python3-torch lives under /usr/bin/python3, which a
// pyenv python3 on PATH may hide) and runs a reference script of bench/ with a JSON argument.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Runs bench/<script> with one JSON argument and parses the JSON object it prints last. */
export function runTorchScript<T>(script: string, args: unknown): T {
  const py = findTorchPython();
  if (!py) throw new Error('PyTorch is not installed (Debian: apt-get install python3-torch)');
  const path = fileURLToPath(new URL(`../../bench/${script}`, import.meta.url));
  const r = spawnSync(py, [path, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: torchEnvironment((args as { threads?: number }).threads),
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * The environment for a PyTorch reference run: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some
 * machines for old OpenBLAS builds) force a slow generic kernel in PyTorch's OpenBLAS, so both are
 * removed for that one command, and OpenMP gets the same thread count as our kernels. (Debian's
 * python3-torch calls libblas.so.3: with only the reference BLAS installed, not libopenblas0, its f32
 * matmul runs at a few GFLOP/s and every ratio against it is meaningless.)
 */
export function torchEnvironment(threads: number | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (threads !== undefined) env.OMP_NUM_THREADS = String(threads);
  return env;
}
