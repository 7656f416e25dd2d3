// Training checkpoints: one folder per checkpoint, written under a temporary name and renamed,
// holding the trainable weights, AdamW's moments, the RNG state, the data position and the run's
// settings — everything a resumed run needs to continue exactly where the killed one stopped.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFolderAtomic } from '../formats/atomic-write.js';
import { readSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { WeightTensor } from '../model/weights.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AdamW } from './adamw.js';

export const CHECKPOINT_STATE = 'state.json';
const WEIGHTS = 'trainable.safetensors';
const OPTIMIZER = 'optimizer.safetensors';

/** Where the data stream and the random source stand after `step` optimizer steps. */
export interface TrainingState {
  step: number;
  tokens: number;
  epoch: number;
  /** Examples of this epoch's order already consumed. */
  offset: number;
  rng: number[];
  bestValLoss: number | null;
  /** Seconds the run took up to this point, across resumes (absent in checkpoints written before it was kept). */
  elapsedS?: number;
  /** The settings of the run, so a resume with different ones is refused. */
  run: Record<string, unknown>;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(7, '0')}`;
}

function asWeight(t: Tensor | Float32Array, shape: readonly number[]): WeightTensor {
  const data = t instanceof Float32Array ? t : (t.data as Float32Array);
  return { dtype: 'f32', shape: [...shape], data };
}

/** Writes a checkpoint folder atomically; refuses weights holding NaN or Inf. */
export function saveCheckpoint(
  dir: string,
  params: Map<string, Tensor>,
  opt: AdamW,
  state: TrainingState,
): void {
  const weights = new Map<string, WeightTensor>();
  const moments = new Map<string, WeightTensor>();
  for (const [name, p] of params) {
    for (let i = 0; i < p.size; i++)
      if (!Number.isFinite(p.data[i]))
        throw new Error(
          `checkpoint ${dir}: parameter '${name}' holds ${p.data[i]}; not writing a poisoned checkpoint`,
        );
    weights.set(name, asWeight(p, p.shape));
    moments.set(`m.${name}`, asWeight(opt.m.get(name)!, p.shape));
    moments.set(`v.${name}`, asWeight(opt.v.get(name)!, p.shape));
  }
  writeFolderAtomic(dir, (tmp) => {
    writeSafetensors(join(tmp, WEIGHTS), weights);
    writeSafetensors(join(tmp, OPTIMIZER), moments);
    writeFileSync(
      join(tmp, CHECKPOINT_STATE),
      JSON.stringify({ ...state, adamStep: opt.step }, null, 2) + '\n',
    );
  });
}

/** The checkpoint folder `path` names: itself when it holds state.json, else the newest under path/checkpoints. */
export function resolveCheckpoint(path: string): string {
  if (existsSync(join(path, CHECKPOINT_STATE))) return path;
  const dir = join(path, 'checkpoints');
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /^step-\d+$/.test(n))
        .sort()
    : [];
  if (names.length === 0)
    throw new Error(
      `--resume ${path}: expected a checkpoint folder (holding ${CHECKPOINT_STATE}) or a run folder with checkpoints/step-*`,
    );
  return join(dir, names[names.length - 1]);
}

function copyInto(
  dst: Float32Array | Float64Array,
  src: WeightTensor,
  file: string,
  key: string,
  shape: readonly number[],
): void {
  if (src.dtype !== 'f32' || src.shape.join(',') !== shape.join(','))
    throw new Error(`${file}: tensor '${key}': expected f32 [${shape}] (got ${src.dtype} [${src.shape}])`);
  dst.set(src.data as Float32Array);
}

/** Loads a checkpoint into the parameters and optimizer; returns the state to continue from. */
export function loadCheckpoint(dir: string, params: Map<string, Tensor>, opt: AdamW): TrainingState {
  const statePath = join(dir, CHECKPOINT_STATE);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainingState & { adamStep: number };
  for (const f of ['step', 'tokens', 'epoch', 'offset', 'adamStep'] as const)
    if (!Number.isInteger(state[f]) || state[f] < 0)
      throw new Error(
        `${statePath}: field '${f}': expected a non-negative integer (got ${JSON.stringify(state[f])})`,
      );
  const wFile = join(dir, WEIGHTS);
  const oFile = join(dir, OPTIMIZER);
  const weights = readSafetensors(wFile).tensors;
  const moments = readSafetensors(oFile).tensors;
  for (const [name, p] of params) {
    const w = weights.get(name);
    const m = moments.get(`m.${name}`);
    const v = moments.get(`v.${name}`);
    if (!w) throw new Error(`${wFile}: missing tensor '${name}' (the run's trainable set differs)`);
    if (!m || !v) throw new Error(`${oFile}: missing moments of '${name}'`);
    copyInto(p.data, w, wFile, name, p.shape);
    copyInto(opt.m.get(name)!, m, oFile, `m.${name}`, p.shape);
    copyInto(opt.v.get(name)!, v, oFile, `v.${name}`, p.shape);
  }
  if (weights.size !== params.size)
    throw new Error(`${wFile}: holds ${weights.size} tensors, the run trains ${params.size}`);
  opt.step = state.adamStep;
  return state;
}

/** Removes all but the newest `keep` checkpoints under `dir`. */
export function pruneCheckpoints(dir: string, keep: number): void {
  if (!existsSync(dir)) return;
  const names = readdirSync(dir)
    .filter((n) => /^step-\d+$/.test(n))
    .sort();
  for (const n of names.slice(0, Math.max(0, names.length - keep)))
    rmSync(join(dir, n), { recursive: true, force: true });
}
