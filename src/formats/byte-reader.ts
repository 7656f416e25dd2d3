// A little-endian reader over untrusted bytes that checks, before every read, that the bytes are
// there; counts and string lengths are capped and sizes multiplied with overflow checks.
import { FormatError } from './errors.js';

/** Largest byte count or element count we accept: exact in a double, far beyond any real file. */
export const MAX_SAFE_SIZE = Number.MAX_SAFE_INTEGER;

/** a × b for non-negative integers, failing (naming file and field) when the product is not exact. */
export function checkedMultiply(a: number, b: number, file: string, field: string): number {
  const p = a * b;
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0 || !Number.isSafeInteger(p))
    throw new FormatError(file, field, `a size below 2^53 (got ${a} × ${b})`);
  return p;
}

/** The product of a shape's dimensions, checked at every step. */
export function checkedElementCount(shape: readonly number[], file: string, field: string): number {
  let n = 1;
  for (const d of shape) n = checkedMultiply(n, d, file, field);
  return n;
}

/** A Uint8Array holds at most 2^32 - 1 bytes in Node 20; DataView reads any offset. */
const MAX_BYTE_VIEW = 2 ** 32 - 1;

export class ByteReader {
  private readonly view: DataView;
  /** The first (up to) 4 GiB as bytes, for strings: headers live there. */
  private readonly bytes: Uint8Array;
  readonly length: number;
  offset = 0;

  constructor(
    buffer: ArrayBuffer | Uint8Array,
    readonly file: string,
  ) {
    this.bytes =
      buffer instanceof Uint8Array
        ? buffer
        : new Uint8Array(buffer, 0, Math.min(buffer.byteLength, MAX_BYTE_VIEW));
    this.length = buffer.byteLength;
    this.view =
      buffer instanceof Uint8Array
        ? new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
        : new DataView(buffer);
  }

  get remaining(): number {
    return this.length - this.offset;
  }

  /** Fails unless `n` more bytes are available for `field`. */
  need(n: number, field: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining)
      throw new FormatError(
        this.file,
        field,
        `${n} more bytes at offset ${this.offset} (the file has ${this.remaining} left)`,
      );
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.offset += n;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }
  i8(field: string): number {
    this.need(1, field);
    return this.view.getInt8(this.offset++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  i16(field: string): number {
    this.need(2, field);
    const v = this.view.getInt16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f32(field: string): number {
    this.need(4, field);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }
  /** A 64-bit value as bigint (for metadata values kept exactly). */
  u64Big(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }
  i64Big(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** An unsigned 64-bit count or size, required to be at most `max` (and so exact in a double). */
  u64Size(field: string, max: number = MAX_SAFE_SIZE): number {
    const v = this.u64Big(field);
    if (v > BigInt(max)) throw new FormatError(this.file, field, `a value at most ${max} (got ${v})`);
    return Number(v);
  }

  /** Raw bytes as a view (no copy). */
  bytesView(n: number, field: string): Uint8Array {
    this.need(n, field);
    if (this.offset + n > this.bytes.byteLength)
      throw new FormatError(this.file, field, `bytes within the first ${MAX_BYTE_VIEW} of the file`);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** UTF-8 text of `n` bytes, `n` capped at `maxLength`. */
  utf8(n: number, field: string, maxLength: number): string {
    if (n > maxLength)
      throw new FormatError(this.file, field, `a string of at most ${maxLength} bytes (got ${n})`);
    const raw = this.bytesView(n, field);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError(this.file, field, 'valid UTF-8 text');
    }
  }

  /** Moves to the next multiple of `alignment` (which must lie within the file). */
  align(alignment: number, field: string): void {
    const pad = (alignment - (this.offset % alignment)) % alignment;
    this.skip(pad, field);
  }
}
