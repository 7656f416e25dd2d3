// GGUF metadata values: the typed key/value entries of a GGUF header, read with bounds checks and
// written back with their types, so a tokenizer or a caller can pass them through unchanged.
import type { ByteReader } from './byte-reader.js';
import { FormatError } from './errors.js';

export type GgufScalarType =
  'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';
export type GgufValueType = GgufScalarType | 'array';

/** A plain JS value: numbers for ≤32-bit and float types, bigint for 64-bit integers. */
export type GgufPlain = number | bigint | boolean | string | GgufArray;

export interface GgufScalar {
  type: GgufScalarType;
  value: number | bigint | boolean | string;
}
export interface GgufArray {
  type: 'array';
  itemType: GgufValueType;
  /** Items as plain values (nested arrays as GgufArray). */
  value: GgufPlain[];
}
export type GgufValue = GgufScalar | GgufArray;
export type GgufMetadata = Map<string, GgufValue>;

/** The type codes of the GGUF specification, in order. */
const TYPE_BY_CODE: GgufValueType[] = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
];
const CODE_BY_TYPE = new Map<GgufValueType, number>(TYPE_BY_CODE.map((t, i) => [t, i]));
const FIXED_SIZE: Partial<Record<GgufValueType, number>> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
};

/** Caps against absurd headers; real files stay far below. */
export const MAX_STRING_BYTES = 1 << 26;
const MAX_NESTING = 4;

export function readGgufString(r: ByteReader, field: string, maxBytes = MAX_STRING_BYTES): string {
  const n = r.u64Size(`${field} (string length)`, maxBytes);
  return r.utf8(n, field, maxBytes);
}

function typeFromCode(code: number, r: ByteReader, field: string): GgufValueType {
  const t = TYPE_BY_CODE[code];
  if (t === undefined) throw new FormatError(r.file, field, `a GGUF value type code 0-12 (got ${code})`);
  return t;
}

function readScalar(r: ByteReader, type: GgufScalarType, field: string): number | bigint | boolean | string {
  switch (type) {
    case 'u8':
      return r.u8(field);
    case 'i8':
      return r.i8(field);
    case 'u16':
      return r.u16(field);
    case 'i16':
      return r.i16(field);
    case 'u32':
      return r.u32(field);
    case 'i32':
      return r.i32(field);
    case 'f32':
      return r.f32(field);
    case 'f64':
      return r.f64(field);
    case 'u64':
      return r.u64Big(field);
    case 'i64':
      return r.i64Big(field);
    case 'bool': {
      const b = r.u8(field);
      if (b > 1) throw new FormatError(r.file, field, `a bool 0 or 1 (got ${b})`);
      return b === 1;
    }
    case 'string':
      return readGgufString(r, field);
  }
}

function readArray(r: ByteReader, field: string, depth: number): GgufArray {
  if (depth > MAX_NESTING) throw new FormatError(r.file, field, `arrays nested at most ${MAX_NESTING} deep`);
  const itemType = typeFromCode(r.u32(`${field} (array item type)`), r, field);
  // Every item takes at least its fixed size (a string at least its 8-byte length), so the count is bounded by the bytes left.
  const minItem = FIXED_SIZE[itemType] ?? (itemType === 'string' ? 8 : 12);
  const count = r.u64Size(`${field} (array length)`, Math.floor(r.remaining / minItem));
  const value: GgufPlain[] = new Array(count);
  for (let i = 0; i < count; i++)
    value[i] =
      itemType === 'array'
        ? readArray(r, `${field}[${i}]`, depth + 1)
        : readScalar(r, itemType, `${field}[${i}]`);
  return { type: 'array', itemType, value };
}

export function readGgufValue(r: ByteReader, field: string): GgufValue {
  const type = typeFromCode(r.u32(`${field} (value type)`), r, field);
  if (type === 'array') return readArray(r, field, 0);
  return { type, value: readScalar(r, type, field) };
}

/** Appends little-endian bytes; grows as needed. */
export class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1);
    this.view.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint | number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: bigint | number): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeScalar(s: ByteSink, type: GgufScalarType, v: GgufPlain, key: string): void {
  const bad = (): never => {
    throw new TypeError(`GGUF write: metadata '${key}': value ${String(v)} does not fit type ${type}`);
  };
  if (type === 'string') return typeof v === 'string' ? s.string(v) : bad();
  if (type === 'bool') return typeof v === 'boolean' ? s.u8(v ? 1 : 0) : bad();
  if (type === 'u64' || type === 'i64') {
    if (typeof v !== 'bigint' && typeof v !== 'number') bad();
    return type === 'u64' ? s.u64(v as bigint | number) : s.i64(v as bigint | number);
  }
  if (typeof v !== 'number') return bad();
  s[type](v);
}

export function writeGgufValue(s: ByteSink, v: GgufValue, key: string): void {
  s.u32(CODE_BY_TYPE.get(v.type)!);
  if (v.type === 'array') writeArrayBody(s, v, key);
  else writeScalar(s, v.type, v.value, key);
}

function writeArrayBody(s: ByteSink, a: GgufArray, key: string): void {
  s.u32(CODE_BY_TYPE.get(a.itemType)!);
  s.u64(a.value.length);
  for (const item of a.value) {
    if (a.itemType === 'array') {
      if (typeof item !== 'object')
        throw new TypeError(`GGUF write: metadata '${key}': expected nested arrays`);
      writeArrayBody(s, item, key);
    } else writeScalar(s, a.itemType, item, key);
  }
}

/** A metadata value as a safe JS number, or undefined; 64-bit values beyond 2^53 are rejected. */
export function ggufNumber(md: GgufMetadata, key: string, file: string): number | undefined {
  const v = md.get(key);
  if (v === undefined) return undefined;
  if (v.type === 'array' || typeof v.value === 'string' || typeof v.value === 'boolean')
    throw new FormatError(file, key, `a number (got ${v.type})`);
  if (typeof v.value === 'bigint') {
    if (v.value > BigInt(Number.MAX_SAFE_INTEGER) || v.value < -BigInt(Number.MAX_SAFE_INTEGER))
      throw new FormatError(file, key, `an integer below 2^53 (got ${v.value})`);
    return Number(v.value);
  }
  return v.value;
}

export function ggufString(md: GgufMetadata, key: string, file: string): string | undefined {
  const v = md.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'string') throw new FormatError(file, key, `a string (got ${v.type})`);
  return v.value as string;
}
