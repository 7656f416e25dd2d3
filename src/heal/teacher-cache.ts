// The teacher's top-K log-probabilities on disk (Minitron's offline variant): computed once per
// training row and read back by every later step, epoch, resumed run or run with another learning
// rate or student. One folder per (teacher, data, K, temperature, row length), described by
// cache.json; rows.bin holds a fixed-size record per row (log p, log p_rest and ids per position) and
// filled.bin one byte per row, set only after the row's record was written, so a killed run leaves
// no half-written row marked as done.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';

export interface TeacherCacheKey {
  /** A hash of the teacher's config and tensor bytes. */
  teacher: string;
  /** A hash of every training row's ids. */
  data: string;
  rows: number;
  vocab: number;
  k: number;
  temperature: number;
  /** The longest row: each record holds this many positions. */
  seqLen: number;
}

/** One row's teacher targets: `len` positions × K ids and log-probabilities, and log p_rest per position. */
export interface CachedRow {
  idx: Int32Array;
  logp: Float32Array;
  logRest: Float32Array;
}

const DESCRIPTION = 'cache.json';
const RECORDS = 'rows.bin';
const FILLED = 'filled.bin';

export class TeacherCache {
  private readonly recordBytes: number;
  private readonly idxBytes: number;
  private readonly filled: Uint8Array;
  private readonly recordsFd: number;
  private readonly filledFd: number;
  hits = 0;
  misses = 0;

  private constructor(
    readonly dir: string,
    readonly key: TeacherCacheKey,
  ) {
    this.idxBytes = key.vocab <= 65536 ? 2 : 4;
    this.recordBytes = key.seqLen * (key.k * (this.idxBytes + 4) + 4);
    const filledPath = join(dir, FILLED);
    this.filled = new Uint8Array(readFileSync(filledPath));
    if (this.filled.length !== key.rows)
      throw new Error(
        `${filledPath}: holds ${this.filled.length} row marks, expected ${key.rows}; delete ${dir}`,
      );
    this.recordsFd = openSync(join(dir, RECORDS), 'r+');
    this.filledFd = openSync(filledPath, 'r+');
  }

  /** Opens the cache in `dir`, creating it when absent; refuses one made for other settings. */
  static open(dir: string, key: TeacherCacheKey): TeacherCache {
    const desc = join(dir, DESCRIPTION);
    if (existsSync(desc)) {
      let saved: unknown;
      try {
        saved = JSON.parse(readFileSync(desc, 'utf8'));
      } catch (e) {
        throw new Error(`${desc}: not valid JSON (${(e as Error).message}); delete ${dir}`);
      }
      const was = (saved as { key?: Record<string, unknown> }).key ?? {};
      const differ = (Object.keys(key) as (keyof TeacherCacheKey)[]).filter((f) => was[f] !== key[f]);
      if (differ.length > 0)
        throw new Error(
          `--teacher-cache ${dir}: made for other settings (${differ
            .map((f) => `${f} ${JSON.stringify(was[f])}, now ${JSON.stringify(key[f])}`)
            .join('; ')}); give another folder or delete it`,
        );
      return new TeacherCache(dir, key);
    }
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, RECORDS), [new Uint8Array(0)]);
    writeFileAtomic(join(dir, FILLED), [new Uint8Array(key.rows)]);
    // Written last: a folder without it is not a cache yet and is made again.
    writeFileAtomic(desc, [new TextEncoder().encode(JSON.stringify({ version: 1, key }, null, 2) + '\n')]);
    return new TeacherCache(dir, key);
  }

  /** A record's parts: log p (S·K f32), log p_rest (S f32), then the ids (S·K, u16 or i32), each aligned. */
  private views(bytes: Buffer): { logp: Float32Array; logRest: Float32Array; idx: Uint16Array | Int32Array } {
    const { k, seqLen: S } = this.key;
    const base = bytes.byteOffset;
    const buf = bytes.buffer;
    const idxAt = base + 4 * (S * k + S);
    return {
      logp: new Float32Array(buf, base, S * k),
      logRest: new Float32Array(buf, base + 4 * S * k, S),
      idx: this.idxBytes === 2 ? new Uint16Array(buf, idxAt, S * k) : new Int32Array(buf, idxAt, S * k),
    };
  }

  has(row: number): boolean {
    return this.filled[row] === 1;
  }

  /** The first `len` positions of a filled row. */
  read(row: number, len: number): CachedRow {
    if (!this.has(row)) throw new RangeError(`teacher cache ${this.dir}: row ${row} is not filled`);
    const { k } = this.key;
    const bytes = Buffer.alloc(this.recordBytes);
    const got = readSync(this.recordsFd, bytes, 0, this.recordBytes, row * this.recordBytes);
    if (got !== this.recordBytes)
      throw new Error(
        `${join(this.dir, RECORDS)}: row ${row} is cut short (${got} of ${this.recordBytes} bytes)`,
      );
    const v = this.views(bytes);
    this.hits++;
    return {
      idx: Int32Array.from(v.idx.subarray(0, len * k)),
      logp: v.logp.slice(0, len * k),
      logRest: v.logRest.slice(0, len),
    };
  }

  /** Stores a row's first `len` positions, then marks it filled. */
  write(row: number, len: number, r: CachedRow): void {
    const { k } = this.key;
    const bytes = Buffer.alloc(this.recordBytes);
    const v = this.views(bytes);
    v.idx.set(r.idx.subarray(0, len * k));
    v.logp.set(r.logp.subarray(0, len * k));
    v.logRest.set(r.logRest.subarray(0, len));
    writeSync(this.recordsFd, bytes, 0, this.recordBytes, row * this.recordBytes);
    writeSync(this.filledFd, new Uint8Array([1]), 0, 1, row);
    this.filled[row] = 1;
    this.misses++;
  }

  close(): void {
    closeSync(this.recordsFd);
    closeSync(this.filledFd);
  }
}
