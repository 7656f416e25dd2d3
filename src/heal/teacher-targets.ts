// What the teacher says about a micro-batch: its logits from the inference forward (no tape,
// nothing kept for a backward, buffers reused between micro-batches, weights in their stored
// dtype), either whole or reduced to the top-K log-probabilities and the rest's mass per position,
// those read from and written to an on-disk cache when one is given.
import { LlamaInference } from '../model/inference.js';
import type { KVCache } from '../model/kv-cache.js';
import type { ModelWeights } from '../model/weights.js';
import { topKLogProbs } from '../tensor/ops/kl-divergence.js';
import type { TeacherTarget } from '../tensor/ops/kl-divergence.js';
import type { TrainingExample } from '../text/packing.js';
import type { CachedRow, TeacherCache } from './teacher-cache.js';
import type { MicroBatch } from './train-loop.js';

export interface TeacherTargetOptions {
  temperature: number;
  /** Keep only the K most likely tokens and the rest's mass; undefined: the full vocabulary. */
  topK?: number;
  /** With topK: the on-disk cache and each row's index in it. */
  cache?: { store: TeacherCache; rowIndex: Map<TrainingExample, number> };
}

export class TeacherTargets {
  /** Teacher forward passes run (micro-batches, or rows missing from the cache). */
  forwards = 0;
  private readonly engine: LlamaInference;
  /** Reused while micro-batches keep their shape: every forward starts at position 0. */
  private cache: KVCache | null = null;

  constructor(
    readonly weights: ModelWeights,
    readonly o: TeacherTargetOptions,
  ) {
    this.engine = new LlamaInference(weights, 'teacher');
    const V = weights.config.vocabSize;
    if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= V))
      throw new RangeError(`--top-k ${o.topK} must be an integer in [1, ${V}] (the vocabulary)`);
  }

  /**
   * The teacher's logits [B·T, V] for rows collated as in `mb`: the inference forward agrees with
   * the training one (bit for bit on the default model, 16 rows × 256) and takes two thirds of its
   * time. Rows are right-padded: in a causal model no real position attends to the padding after
   * it, and the padding's own positions are never scored.
   */
  private logits(mb: Pick<MicroBatch, 'ids' | 'batch' | 'seqLen'>): Float32Array {
    this.forwards++;
    if (!this.cache || this.cache.batch !== mb.batch || this.cache.capacity !== mb.seqLen)
      this.cache = this.engine.newCache(mb.batch, mb.seqLen);
    this.cache.length = 0;
    return this.engine.forward(mb.ids, mb.batch, this.cache);
  }

  private topK(logits: Float32Array, N: number): CachedRow & { kind: 'top-k'; k: number } {
    const K = this.o.topK!;
    const V = this.weights.config.vocabSize;
    const idx = new Int32Array(N * K);
    const logp = new Float32Array(N * K);
    const logRest = new Float32Array(N);
    topKLogProbs(idx, logp, logRest, logits, N, V, K, 1 / this.o.temperature);
    return { kind: 'top-k', k: K, idx, logp, logRest };
  }

  forMicroBatch(mb: MicroBatch): TeacherTarget {
    const N = mb.batch * mb.seqLen;
    if (this.o.topK === undefined) return { kind: 'full', logits: this.logits(mb) };
    if (!this.o.cache) return this.topK(this.logits(mb), N);
    return this.fromCache(mb);
  }

  /** Cached rows are read; the missing ones go through the teacher together, in the micro-batch's layout. */
  private fromCache(mb: MicroBatch): TeacherTarget {
    const { store, rowIndex } = this.o.cache!;
    const K = this.o.topK!;
    const T = mb.seqLen;
    const N = mb.batch * T;
    const indexOf = (r: TrainingExample): number => {
      const i = rowIndex.get(r);
      if (i === undefined)
        throw new Error('teacher cache: a row that is not among the indexed training rows');
      return i;
    };
    const missing = mb.rows.some((r) => !store.has(indexOf(r)));
    const computed = missing ? this.topK(this.logits(mb), N) : null;
    const out = {
      kind: 'top-k' as const,
      k: K,
      idx: new Int32Array(N * K),
      logp: new Float32Array(N * K),
      logRest: new Float32Array(N).fill(-Infinity),
    };
    // Positions past a row's end are never scored; they get distinct valid ids all the same.
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out.idx[n * K + k] = k;
    mb.rows.forEach((row, b) => {
      const i = indexOf(row);
      const len = row.ids.length;
      let r;
      if (store.has(i)) r = store.read(i, len);
      else {
        const c = computed!;
        r = {
          idx: c.idx.slice(b * T * K, (b * T + len) * K),
          logp: c.logp.slice(b * T * K, (b * T + len) * K),
          logRest: c.logRest.slice(b * T, b * T + len),
        };
        store.write(i, len, r);
      }
      out.idx.set(r.idx, b * T * K);
      out.logp.set(r.logp, b * T * K);
      out.logRest.set(r.logRest, b * T);
    });
    return out;
  }
}
