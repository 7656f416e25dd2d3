// `bench model --profile`: one forward and one training step of the benchmark model with every
// native kernel timed by kind, as a table of shares of the forward and of the forward + backward.
// What the kernels and allocations do not account for is the JavaScript between ops.
import { performance } from 'node:perf_hooks';
import { buildModel, llamaForward, nextTokenTargets } from '../model/llama-forward.js';
import type { ModelWeights } from '../model/weights.js';
import { startKernelProfile } from '../native/profile.js';
import type { KernelProfile } from '../native/profile.js';
import type { ProfileEntry } from '../native/profile.js';
import { Tape } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export interface ProfileRow {
  kind: string;
  forward_s: number;
  backward_s: number;
  share_of_forward: number;
  share_of_forward_backward: number;
  /** GEMM/GEMV rows: achieved rate over both phases. */
  gflops?: number;
}

export interface ModelProfile {
  forward_s: number;
  forward_backward_s: number;
  rows: ProfileRow[];
}

/** Kernel kinds merged the way the table reads: attention, norms, rotary, ... and GEMMs by shape. */
function group(kind: string): string {
  if (kind.startsWith('gemm') || kind.startsWith('gemv')) return kind;
  if (kind.includes('attention')) return 'attention';
  if (kind.includes('rmsnorm')) return 'rmsnorm';
  if (kind.includes('rope')) return 'rotary';
  if (kind.includes('silu')) return 'SiLU gate';
  if (kind.includes('add ')) return 'residual add';
  if (kind.includes('cross entropy')) return 'cross-entropy';
  if (kind === 'allocation') return 'allocation';
  if (kind.includes('convert')) return 'dtype conversion';
  return kind;
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Profiles one forward (no grad) and one training step (all weights trainable) of `weights`; a bf16
 * model's step trains in bf16 (mixed precision), as PyTorch trains a bf16 model.
 */
export function profileModel(weights: ModelWeights, batch: number, seqLen: number): ModelProfile {
  const compute = weights.tensors.get('model.embed_tokens.weight')?.dtype === 'bf16' ? 'bf16' : 'f32';
  const ids = new Int32Array(batch * seqLen);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 7919 + 13) % weights.config.vocabSize;
  const targets = nextTokenTargets(ids, batch, seqLen);
  const frozen = buildModel(weights);
  const trainable = buildModel(weights, { trainable: () => true, compute });
  const step = (profile: KernelProfile | null): [number, number] => {
    const tape = new Tape();
    if (profile) profile.phase = 'step forward';
    let loss: Tensor | undefined;
    const f = timed(() => {
      loss = llamaForward(trainable, ids, { batch, seqLen, targets, tape }).loss;
    });
    if (profile) profile.phase = 'backward';
    const b = timed(() => tape.backward(loss!));
    return [f, b];
  };
  // Warm: first calls allocate packing buffers and compile paths.
  llamaForward(frozen, ids, { batch, seqLen });
  step(null);
  const profile = startKernelProfile();
  let forward: number;
  let stepForward: number;
  let backward: number;
  try {
    profile.phase = 'forward';
    forward = timed(() => llamaForward(frozen, ids, { batch, seqLen }));
    [stepForward, backward] = step(profile);
  } finally {
    profile.stop();
  }
  const byKind = new Map<string, { f: number; sf: number; b: number; flops: number }>();
  for (const e of profile.entries.values() as Iterable<ProfileEntry>) {
    const k = group(e.kind);
    const r = byKind.get(k) ?? { f: 0, sf: 0, b: 0, flops: 0 };
    if (e.phase === 'forward') r.f += e.seconds;
    else if (e.phase === 'step forward') r.sf += e.seconds;
    else r.b += e.seconds;
    if (e.phase !== 'forward') r.flops += e.flops;
    byKind.set(k, r);
  }
  const fb = stepForward + backward;
  const rows: ProfileRow[] = [...byKind].map(([kind, r]) => ({
    kind,
    forward_s: r.f,
    backward_s: r.b,
    share_of_forward: r.f / forward,
    share_of_forward_backward: (r.sf + r.b) / fb,
    ...(r.flops > 0 ? { gflops: r.flops / (r.sf + r.b) / 1e9 } : {}),
  }));
  const sum = (pick: (r: { f: number; sf: number; b: number }) => number): number =>
    [...byKind.values()].reduce((s, r) => s + pick(r), 0);
  rows.push({
    kind: 'JavaScript between ops',
    forward_s: forward - sum((r) => r.f),
    backward_s: backward - sum((r) => r.b),
    share_of_forward: (forward - sum((r) => r.f)) / forward,
    share_of_forward_backward: (fb - sum((r) => r.sf + r.b)) / fb,
  });
  rows.sort((a, b) => b.share_of_forward_backward - a.share_of_forward_backward);
  return { forward_s: forward, forward_backward_s: fb, rows };
}

/** The profile as a text table. */
export function formatProfile(p: ModelProfile): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1).padStart(5)}%`;
  const lines = [
    `forward ${(p.forward_s * 1000).toFixed(0)} ms, forward + backward ${(p.forward_backward_s * 1000).toFixed(0)} ms`,
    `${'op kind'.padEnd(34)} ${'of forward'.padStart(10)} ${'of fwd+bwd'.padStart(10)} ${'GFLOP/s'.padStart(8)}`,
    ...p.rows.map(
      (r) =>
        `${r.kind.padEnd(34)} ${pct(r.share_of_forward).padStart(10)} ${pct(r.share_of_forward_backward).padStart(10)} ${(r.gflops === undefined ? '' : r.gflops.toFixed(0)).padStart(8)}`,
    ),
  ];
  return lines.join('\n') + '\n';
}
