// Log-likelihoods of continuations given contexts, each distinct context run once: contexts
// are prefilled as a left-padded batch, each context's KV cache row is copied to one row per
// continuation, and all continuations run as one right-padded batch (causal attention keeps
// the padding after a row's real tokens from touching them).
import type { LlamaInference } from '../model/inference.js';

export interface ScoreRequest {
  context: number[];
  continuation: number[];
}

export interface ScoreOptions {
  /** Distinct contexts per prefill batch. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** log softmax(logits[offset .. offset+vocab])[id], in float64. */
export function tokenLogProb(logits: Float32Array, offset: number, vocab: number, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (logits[offset + i] > max) max = logits[offset + i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i] - max);
  return logits[offset + id] - max - Math.log(sum);
}

interface ContextUnit {
  context: number[];
  requests: number[];
}

function groupByContext(requests: ScoreRequest[]): ContextUnit[] {
  const byKey = new Map<string, ContextUnit>();
  requests.forEach((r, i) => {
    if (r.context.length === 0) throw new RangeError(`request ${i}: empty context (BOS expected)`);
    if (r.continuation.length === 0) throw new RangeError(`request ${i}: empty continuation`);
    const key = r.context.join(',');
    let unit = byKey.get(key);
    if (!unit) {
      unit = { context: r.context, requests: [] };
      byKey.set(key, unit);
    }
    unit.requests.push(i);
  });
  // Longest first, as the harness orders them: similar lengths share a batch, little padding.
  return [...byKey.values()].sort((a, b) => b.context.length - a.context.length);
}

/** Per request, the summed log-probability of its continuation tokens. */
export function continuationLogLikelihoods(
  model: LlamaInference,
  requests: ScoreRequest[],
  opts: ScoreOptions = {},
): Float64Array {
  const batchSize = Math.max(1, opts.batch ?? 16);
  const vocab = model.config.vocabSize;
  const sums = new Float64Array(requests.length);
  const units = groupByContext(requests);
  let done = 0;
  for (let s = 0; s < units.length; s += batchSize) {
    const group = units.slice(s, s + batchSize);
    const maxCtx = Math.max(...group.map((u) => u.context.length));
    const padding = new Int32Array(group.length);
    const ids = new Int32Array(group.length * maxCtx);
    group.forEach((u, b) => {
      padding[b] = maxCtx - u.context.length;
      ids.fill(u.context[0], b * maxCtx, b * maxCtx + padding[b]);
      ids.set(u.context, b * maxCtx + padding[b]);
    });
    const rowUnit: number[] = [];
    const rowRequest: number[] = [];
    group.forEach((u, b) => {
      for (const r of u.requests) {
        rowUnit.push(b);
        rowRequest.push(r);
      }
    });
    const maxCont = Math.max(...rowRequest.map((r) => requests[r].continuation.length));
    const steps = maxCont - 1;
    const cache = model.newCache(group.length, maxCtx + steps);
    const last = model.forward(ids, group.length, cache, { padding, lastOnly: true });
    rowRequest.forEach((r, i) => {
      sums[r] = tokenLogProb(last, rowUnit[i] * vocab, vocab, requests[r].continuation[0]);
    });
    if (steps > 0) {
      const rows = rowRequest.length;
      const rowsCache = cache.gatherRows(rowUnit);
      const rowPadding = Int32Array.from(rowUnit, (b) => padding[b]);
      const contIds = new Int32Array(rows * steps);
      rowRequest.forEach((r, i) => {
        const cont = requests[r].continuation;
        contIds.fill(cont[0], i * steps, (i + 1) * steps);
        contIds.set(cont.slice(0, cont.length - 1), i * steps);
      });
      const logits = model.forward(contIds, rows, rowsCache, { padding: rowPadding });
      rowRequest.forEach((r, i) => {
        const cont = requests[r].continuation;
        for (let t = 0; t + 1 < cont.length; t++)
          sums[r] += tokenLogProb(logits, (i * steps + t) * vocab, vocab, cont[t + 1]);
      });
    }
    done += group.length;
    opts.onProgress?.(done, units.length);
  }
  return sums;
}
