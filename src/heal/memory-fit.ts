// Whether a distillation run fits in memory, said before the first step: the teacher's weights
// (those not shared with the student) are read on every step, so they must stay resident beside
// the student's training state; a teacher that does not fit would page on every forward.
import { existsSync, readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import type { LlamaConfig } from '../model/config.js';

export interface AvailableMemory {
  bytes: number;
  /** Where the figure came from. */
  source: string;
}

function readNumber(file: string): number | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  const n = Number(text);
  return text !== 'max' && Number.isFinite(n) ? n : null;
}

/** MemAvailable from /proc/meminfo, lowered to the cgroup's remaining allowance when it has one. */
export function availableMemory(): AvailableMemory {
  let best: AvailableMemory = { bytes: freemem(), source: 'free memory' };
  if (existsSync('/proc/meminfo')) {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) best = { bytes: Number(m[1]) * 1024, source: 'MemAvailable' };
  }
  const max = readNumber('/sys/fs/cgroup/memory.max');
  const used = readNumber('/sys/fs/cgroup/memory.current');
  if (max !== null && used !== null && max - used < best.bytes)
    best = { bytes: Math.max(0, max - used), source: 'the cgroup memory limit' };
  return best;
}

/** The machine's memory, or the cgroup's limit when it is lower. */
export function totalMemory(): number {
  const max = readNumber('/sys/fs/cgroup/memory.max');
  return max !== null ? Math.min(max, totalmem()) : totalmem();
}

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;
}

/** f32 activations a training step keeps per micro-batch (rough: residual stream, MLP, logits and their gradients). */
export function activationBytes(c: LlamaConfig, tokens: number): number {
  const perToken = c.numLayers * (12 * c.hiddenSize + 4 * c.intermediateSize) + 3 * c.vocabSize;
  return 4 * tokens * perToken;
}

export interface DistillMemory {
  /** Teacher weight bytes not shared with the student, plus its logits for one micro-batch. */
  teacherBytes: number;
  /** Student weights, gradients, AdamW moments and activations. */
  studentBytes: number;
}

/** Throws, before training, when the teacher and the student together exceed what is available. */
export function checkDistillFits(
  m: DistillMemory,
  paths: { teacher: string; student: string },
  available: AvailableMemory = availableMemory(),
): void {
  const need = m.teacherBytes + m.studentBytes;
  if (need > available.bytes)
    throw new Error(
      `the teacher ${paths.teacher} (${gib(m.teacherBytes)}) does not fit in memory beside the student ` +
        `${paths.student} (${gib(m.studentBytes)} for weights, gradients, optimizer state and activations): ` +
        `${gib(need)} needed, ${gib(available.bytes)} available (${available.source}). ` +
        'Distil with --lora (frozen student weights are shared with the teacher), a smaller --micro-batch, or on a larger machine',
    );
}
