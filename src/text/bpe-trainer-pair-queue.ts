// A max-heap of symbol pairs by count for the BPE trainer. Entries are never updated in place:
// a changed count pushes a new entry, and stale ones are dropped when they reach the top.

/** A pair of symbol ids packed into one number (ids stay below 2^21). */
export function pairKey(left: number, right: number): number {
  return left * 2097152 + right;
}

export function pairLeft(key: number): number {
  return Math.floor(key / 2097152);
}

export function pairRight(key: number): number {
  return key % 2097152;
}

/** Higher count first; equal counts by smaller key (left id, then right id), so training is deterministic. */
function before(countA: number, keyA: number, countB: number, keyB: number): boolean {
  return countA > countB || (countA === countB && keyA < keyB);
}

export class PairQueue {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, count: number): void {
    const { counts, keys } = this;
    let i = keys.length;
    counts.push(count);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(count, key, counts[parent], keys[parent])) break;
      counts[i] = counts[parent];
      keys[i] = keys[parent];
      i = parent;
    }
    counts[i] = count;
    keys[i] = key;
  }

  /**
   * The best pair whose queued count still equals `current(key)`; stale entries are discarded.
   * Null when none is left.
   */
  popCurrent(current: (key: number) => number): { key: number; count: number } | null {
    while (this.keys.length > 0) {
      const key = this.keys[0];
      const count = this.counts[0];
      this.removeTop();
      if (count > 0 && current(key) === count) return { key, count };
    }
    return null;
  }

  private removeTop(): void {
    const { counts, keys } = this;
    const lastCount = counts.pop()!;
    const lastKey = keys.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(counts[r], keys[r], counts[l], keys[l]) ? r : l;
      if (!before(counts[child], keys[child], lastCount, lastKey)) break;
      counts[i] = counts[child];
      keys[i] = keys[child];
      i = child;
    }
    counts[i] = lastCount;
    keys[i] = lastKey;
  }
}
