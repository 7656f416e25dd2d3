// The key/value cache of incremental decoding: per block, keys and values of every position
// seen so far, laid out [batch, kvHead, position, headDim] so a head's history is contiguous.
import type { LlamaConfig } from './config.js';

export class KVCache {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  /** Positions filled so far (the same for every batch row; left padding keeps rows aligned). */
  length = 0;

  constructor(
    readonly config: LlamaConfig,
    readonly batch: number,
    readonly capacity: number,
  ) {
    const per = batch * config.numKvHeads * capacity * config.headDim;
    this.keys = [];
    this.values = [];
    for (let l = 0; l < config.numLayers; l++) {
      const hasAttention = !config.prunedAttention.includes(l);
      this.keys.push(hasAttention ? new Float32Array(per) : new Float32Array(0));
      this.values.push(hasAttention ? new Float32Array(per) : new Float32Array(0));
    }
  }

  /** Bytes held by the cache. */
  get byteLength(): number {
    let n = 0;
    for (let l = 0; l < this.keys.length; l++) n += this.keys[l].byteLength + this.values[l].byteLength;
    return n;
  }

  /** Offset of (batch row b, kv head h, position p) in a block's key or value array. */
  offset(b: number, h: number, p: number): number {
    return ((b * this.config.numKvHeads + h) * this.capacity + p) * this.config.headDim;
  }
}
