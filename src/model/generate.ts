// Text generation with a KV cache: batched prompts, left-padded to a common length, then one
// decode step per new token for every row at once.
import type { LlamaInference } from './inference.js';
import { sampleToken, seededRandom } from './sampling.js';
import type { SamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Stop a row at end-of-sequence (default true); the efficiency benchmark turns it off. */
  stopAtEos?: boolean;
  /** Called after each decode step with the tokens chosen for every row. */
  onStep?: (tokens: Int32Array, step: number) => void;
}

export interface GenerateResult {
  /** Per row, the generated ids (prompt excluded), cut after EOS when stopping at EOS. */
  tokens: number[][];
  /** Peak bytes held by the KV cache. */
  kvCacheBytes: number;
}

/** Generates from each prompt (token ids, each at least one token) in one batch. */
export function generate(model: LlamaInference, prompts: number[][], opts: GenerateOptions): GenerateResult {
  const batch = prompts.length;
  if (batch === 0) return { tokens: [], kvCacheBytes: 0 };
  const longest = Math.max(...prompts.map((p) => p.length));
  if (prompts.some((p) => p.length === 0))
    throw new RangeError('generate: every prompt needs at least one token');
  const capacity = longest + opts.maxNewTokens;
  if (capacity > model.config.maxSeqLen)
    throw new RangeError(
      `generate: prompt (${longest}) + new tokens (${opts.maxNewTokens}) exceed the model's context ${model.config.maxSeqLen}`,
    );
  const cache = model.newCache(batch, capacity);
  const padding = new Int32Array(batch);
  const ids = new Int32Array(batch * longest);
  for (let b = 0; b < batch; b++) {
    padding[b] = longest - prompts[b].length;
    // Padding slots repeat the first prompt token: any valid id works, since nothing attends to them.
    ids.fill(prompts[b][0], b * longest, b * longest + padding[b]);
    ids.set(prompts[b], b * longest + padding[b]);
  }
  const vocab = model.config.vocabSize;
  const random = seededRandom(opts.seed ?? 0);
  const stopAtEos = opts.stopAtEos ?? true;
  const eos = model.config.eosTokenId;
  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(batch).fill(false);
  let logits = model.forward(ids, batch, cache, { padding, lastOnly: true });
  const next = new Int32Array(batch);
  for (let step = 0; step < opts.maxNewTokens; step++) {
    for (let b = 0; b < batch; b++) {
      next[b] = sampleToken(logits, b * vocab, vocab, opts, random);
      if (!done[b]) {
        out[b].push(next[b]);
        if (stopAtEos && next[b] === eos) done[b] = true;
      }
    }
    opts.onStep?.(next, step);
    if (done.every(Boolean) || step === opts.maxNewTokens - 1) break;
    logits = model.forward(next, batch, cache, { padding, lastOnly: true });
  }
  return { tokens: out, kvCacheBytes: cache.byteLength };
}
