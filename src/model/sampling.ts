// Choosing the next token from logits: greedy, or temperature with top-k and top-p (nucleus)
// filtering, from a seeded generator so a run can be repeated.

export interface SamplingOptions {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
}

/** A small seeded generator (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: Float32Array, offset: number, length: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = logits[offset + i];
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Picks a token from logits[offset .. offset+vocab). */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  opts: SamplingOptions,
  random: () => number,
): number {
  const temperature = opts.temperature ?? 1;
  if (opts.greedy || temperature <= 0) return argmax(logits, offset, vocab);
  let ids = Array.from({ length: vocab }, (_, i) => i);
  ids.sort((a, b) => logits[offset + b] - logits[offset + a]);
  if (opts.topK !== undefined && opts.topK > 0 && opts.topK < vocab) ids = ids.slice(0, opts.topK);
  const max = logits[offset + ids[0]];
  let probs = ids.map((i) => Math.exp((logits[offset + i] - max) / temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP > 0 && opts.topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < probs.length) {
      cumulative += probs[keep] / total;
      keep++;
      if (cumulative >= opts.topP) break;
    }
    ids = ids.slice(0, keep);
    probs = probs.slice(0, keep);
    total = probs.reduce((a, b) => a + b, 0);
  }
  let r = random() * total;
  for (let i = 0; i < ids.length; i++) {
    r -= probs[i];
    if (r <= 0) return ids[i];
  }
  return ids[ids.length - 1];
}
