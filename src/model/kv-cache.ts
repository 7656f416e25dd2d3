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

  /**
   * A new cache whose row i holds a copy of this cache's row `sourceRows[i]` (positions filled
   * so far), with room for `capacity` positions: a context prefilled once, then scored against
   * several continuations, one row each.
   */
  gatherRows(sourceRows: ArrayLike<number>, capacity = this.capacity): KVCache {
    if (capacity < this.length)
      throw new RangeError(`gatherRows: capacity ${capacity} is below the ${this.length} positions held`);
    const out = new KVCache(this.config, sourceRows.length, capacity);
    const hd = this.config.headDim;
    const span = this.length * hd;
    for (let i = 0; i < sourceRows.length; i++) {
      const b = sourceRows[i];
      if (!(Number.isInteger(b) && b >= 0 && b < this.batch))
        throw new RangeError(`gatherRows: source row ${b} outside [0, ${this.batch})`);
      for (let l = 0; l < this.keys.length; l++) {
        if (this.keys[l].length === 0) continue;
        for (let h = 0; h < this.config.numKvHeads; h++) {
          const src = this.offset(b, h, 0);
          const dst = out.offset(i, h, 0);
          out.keys[l].set(this.keys[l].subarray(src, src + span), dst);
          out.values[l].set(this.values[l].subarray(src, src + span), dst);
        }
      }
    }
    out.length = this.length;
    return out;
  }
}
