// `bench model | score | train` on the tiny stories260k shape, through the real CLI: --dtype both runs
// one child process per dtype and prints both runs in one JSON object; every figure says why it has
// no ratio (--no-torch, or a PyTorch on the reference BLAS, faked here by a SHORTEN_PYTHON script
// whose 1024² matmul "takes" 2.4 s); bad arguments exit 2 before any work. Nothing here is timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

const CLI = fileURLToPath(new URL('../reliability/shorten-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'shorten-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A python that has "torch" but only the reference BLAS behind it: the check's matmul takes 2.4 s. */
const slowBlasPython = join(dir, 'python-slow-blas');
writeFileSync(
  slowBlasPython,
  `#!/bin/sh
case "$*" in
  *statistics*) echo '{"version": "1.13.0-fake", "ms": 2400.0}' ;;
  *) echo "1.13.0-fake" ;;
esac
`,
);
chmodSync(slowBlasPython, 0o755);

const TINY = ['--shape', 'stories260k', '--layers', '2', '--budget', '0'];

function shorten(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--threads', '1', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

function json<T>(args: string[], env?: NodeJS.ProcessEnv): T {
  return JSON.parse(shorten([...args, '--json'], env).stdout) as T;
}

interface Figure {
  tokens_per_s: number;
  pytorch_tokens_per_s: number | null;
  speedup: unknown;
  rounds: number;
  note: string | null;
}

test('bench model --dtype both: one run per dtype, each saying what runs in bf16 and why there is no ratio', () => {
  const { runs } = json<{ runs: Record<string, unknown>[] }>([
    'bench',
    'model',
    ...TINY,
    '--batch',
    '2',
    '--seq-len',
    '8',
    '--decode-tokens',
    '2',
    '--no-torch',
  ]);
  assert.deepEqual(
    runs.map((r) => r.dtype),
    ['f32', 'bf16'],
  );
  for (const r of runs) {
    assert.equal(r.bench, 'model');
    assert.equal((r.model as { layers: number }).layers, 2);
    assert.equal(r.pytorch_reference, null);
    assert.equal(r.pytorch, null);
    for (const k of ['forward', 'forward_backward', 'decode']) {
      const f = r[k] as Figure;
      assert.ok(f.tokens_per_s > 0, k);
      assert.equal(f.speedup, null);
      assert.equal(f.pytorch_tokens_per_s, null);
      assert.equal(f.rounds, 1, 'budget 0: one round');
      assert.match(f.note!, /--no-torch/);
    }
    const fwd = r.forward as { gflop_per_token: number; ratio_to_peak: { median: number } };
    assert.ok(fwd.gflop_per_token > 0 && fwd.ratio_to_peak.median > 0);
    const dec = r.decode as {
      bound_tokens_per_s: number;
      weight_bytes: number;
      ratio_to_bound: { median: number };
    };
    assert.ok(dec.bound_tokens_per_s > 0 && dec.ratio_to_bound.median > 0);
    assert.ok((r.machine as { peak_gflops: number }).peak_gflops > 0);
  }
  const [f32, bf16] = runs as {
    runs_in: { shorten: Record<string, string> };
    decode: { weight_bytes: number };
  }[];
  assert.equal(
    bf16.decode.weight_bytes * 2,
    f32.decode.weight_bytes,
    'bf16 weights are stored in half the bytes',
  );
  assert.match(bf16.runs_in.shorten.forward, /bf16 as stored, read in place by the bf16-weight/);
  assert.match(bf16.runs_in.shorten.forward_backward, /f32 trainable tensors widened from the stored bf16/);
  assert.doesNotMatch(f32.runs_in.shorten.forward, /bf16/);
});

test('bench model against a PyTorch on the reference BLAS: no ratio, the reason and the environment in JSON and text', () => {
  const env = { SHORTEN_PYTHON: slowBlasPython };
  const args = [
    'bench',
    'model',
    ...TINY,
    '--dtype',
    'f32',
    '--batch',
    '1',
    '--seq-len',
    '4',
    '--decode-tokens',
    '1',
  ];
  const { runs } = json<{ runs: Record<string, unknown>[] }>([...args], env);
  const ref = runs[0].pytorch_reference as {
    python: string;
    blas_matmul_1024_ms: number;
    refused: string;
    environment: { set: Record<string, string> };
  };
  assert.equal(ref.python, slowBlasPython);
  assert.equal(ref.blas_matmul_1024_ms, 2400);
  assert.match(ref.refused, /reference BLAS.*2400 ms.*apt-get install libopenblas0/);
  assert.equal(ref.environment.set.OMP_WAIT_POLICY, 'PASSIVE');
  assert.equal(ref.environment.set.OMP_NUM_THREADS, '1');
  assert.equal(runs[0].pytorch, null);
  const fwd = runs[0].forward as Figure;
  assert.equal(fwd.speedup, null);
  assert.equal(fwd.note, ref.refused);
  const text = shorten([...args], env).stdout;
  assert.match(text, /OMP_WAIT_POLICY=PASSIVE/);
  assert.match(text, /no ratio: PyTorch runs on the reference BLAS/);
});

test('bench score --dtype both: each dtype measured in its own process, with its own peak memory', () => {
  const { runs } = json<{ runs: Record<string, unknown>[] }>([
    'bench',
    'score',
    ...TINY,
    '--samples',
    '2',
    '--seq-len',
    '8',
    '--no-torch',
  ]);
  assert.deepEqual(
    runs.map((r) => r.dtype),
    ['f32', 'bf16'],
  );
  for (const r of runs) {
    assert.equal(r.bench, 'score');
    assert.equal(r.calibration_tokens, 16);
    for (const k of ['taylor', 'ppl_sweep']) {
      const f = r[k] as { shorten_s: number; pytorch_s: number | null; speedup: unknown; note: string };
      assert.ok(f.shorten_s > 0, k);
      assert.equal(f.pytorch_s, null);
      assert.equal(f.speedup, null);
      assert.match(f.note, /--no-torch/);
    }
    assert.equal(r.ppl_sweep_target, 1.8);
    assert.ok((r.peak_rss_bytes as number) > (r.weight_bytes as number));
    assert.equal(r.memory_ok, true);
  }
  assert.ok((runs[1].weight_bytes as number) < (runs[0].weight_bytes as number));
});

test('bench train: LoRA and full rows in the one dtype asked for', () => {
  const { runs } = json<{ runs: { dtype: string; rows: Record<string, unknown>[] }[] }>([
    'bench',
    'train',
    ...TINY,
    '--dtype',
    'bf16',
    '--batch',
    '1',
    '--seq-len',
    '8',
    '--no-torch',
  ]);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].dtype, 'bf16');
  assert.deepEqual(
    runs[0].rows.map((r) => r.mode),
    ['lora', 'full'],
  );
  for (const row of runs[0].rows) {
    assert.ok((row.tokens_per_s as number) > 0);
    assert.equal(row.speedup, null);
    assert.match(row.note as string, /--no-torch/);
    assert.match((row.runs_in as { shorten: string }).shorten, /bf16|widened from the stored bf16/);
  }
});

test('bench model --profile --dtype bf16 profiles the bf16 model', () => {
  const { runs } = json<{ runs: { dtype: string; rows: { kind: string }[]; forward_s: number }[] }>([
    'bench',
    'model',
    ...TINY,
    '--profile',
    '--dtype',
    'bf16',
    '--batch',
    '1',
    '--seq-len',
    '4',
  ]);
  assert.equal(runs[0].dtype, 'bf16');
  assert.ok(runs[0].forward_s > 0);
  assert.ok(runs[0].rows.some((r) => r.kind.startsWith('gemm')));
});

/** Runs the CLI in this process; returns the exit code and stderr. */
async function inProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  const out = process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await main(['node', 'shorten', ...args]);
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stderr };
}

test('bad benchmark arguments exit 2 with one line naming the flag, before any work', async () => {
  const cases: [string[], RegExp][] = [
    [['bench', 'model', '--dtype', 'f16'], /--dtype must be f32, bf16 or both \(got 'f16'\)/],
    [['bench', 'score', '--budget', '-1'], /--budget must be ≥ 0 seconds/],
    [['bench', 'train', '--shape', 'llama-7b'], /--shape must be one of synthetic-2048, stories260k/],
    [['bench', 'model', '--precision', '2'], /--precision must be a fraction/],
    [['bench', 'train', '--layers', '0'], /--layers must be an integer ≥ 1/],
    [['bench', 'score', '--child'], /--child runs exactly one --dtype/],
    [['bench', 'kernels', '--budget', 'soon'], /--budget must be a number/],
  ];
  for (const [args, pattern] of cases) {
    const r = await inProcess(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
