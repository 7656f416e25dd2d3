// safetensors: the tensor file of Hugging Face folders. The reader maps the file and validates
// the header like the reference parser (length bounded by the file, offsets in range, contiguous,
// ending at the file end) and hands out views, not copies; the writer matches the reference layout.
import { statSync } from 'node:fs';
import type { FloatDType, WeightTensor } from '../model/weights.js';
import { isQuantized } from '../model/weights.js';
import { mmapFile } from '../native/index.js';
import { writeFileAtomic, bytesOf } from './atomic-write.js';
import { checkedElementCount, checkedMultiply } from './byte-reader.js';
import { FormatError } from './errors.js';

export interface SafetensorsContents {
  tensors: Map<string, WeightTensor>;
  /** The free-form `__metadata__` string map, when present. */
  metadata?: Record<string, string>;
}

const FILE_DTYPE: Record<string, FloatDType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const DTYPE_NAME: Record<FloatDType, string> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };
const DTYPE_BYTES: Record<FloatDType, number> = { f32: 4, f16: 2, bf16: 2 };
/** The reference writer orders tensors by dtype rank (wider alignment first), then by name. */
const DTYPE_RANK: Record<FloatDType, number> = { f32: 2, bf16: 1, f16: 0 };
/** The reference parser's cap on header size. */
const MAX_HEADER_BYTES = 100_000_000;

/** Maps and validates a safetensors file; tensors are views into the mapping unless misaligned. */
export function readSafetensors(path: string): SafetensorsContents {
  const size = statSync(path).size;
  if (size < 8)
    throw new FormatError(path, 'header length', `an 8-byte header length (file has ${size} bytes)`);
  return parseSafetensors(mmapFile(path), path);
}

interface HeaderEntry {
  name: string;
  dtype: FloatDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates and views a whole safetensors file held in `buffer`; `file` names it in errors. */
export function parseSafetensors(buffer: ArrayBuffer, file: string): SafetensorsContents {
  const total = buffer.byteLength;
  if (total < 8)
    throw new FormatError(file, 'header length', `an 8-byte header length (file has ${total} bytes)`);
  const headerLength = new DataView(buffer).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(total - 8, MAX_HEADER_BYTES)))
    throw new FormatError(
      file,
      'header length',
      `at most ${Math.min(total - 8, MAX_HEADER_BYTES)} bytes (the rest of the file; got ${headerLength})`,
    );
  const n = Number(headerLength);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, 8, n));
    if (!text.startsWith('{')) throw new Error('not an object');
    header = JSON.parse(text);
  } catch {
    throw new FormatError(file, 'header', 'a UTF-8 JSON object');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new FormatError(file, 'header', 'a JSON object');

  const dataStart = 8 + n;
  const dataLength = total - dataStart;
  let metadata: Record<string, string> | undefined;
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, file);
      continue;
    }
    entries.push(parseEntry(name, value, file, dataLength));
  }

  // Sorted by start, each tensor must begin where the previous ended and the last end at the file end.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of ordered) {
    if (e.begin < cursor)
      throw new FormatError(
        file,
        `${e.name}.data_offsets`,
        `a range not overlapping the previous tensor's (which ends at ${cursor}; got [${e.begin}, ${e.end}])`,
      );
    if (e.begin > cursor)
      throw new FormatError(
        file,
        `${e.name}.data_offsets`,
        `contiguous data starting at ${cursor} (got [${e.begin}, ${e.end}], leaving a gap)`,
      );
    cursor = e.end;
  }
  if (cursor !== dataLength)
    throw new FormatError(
      file,
      'data_offsets',
      `tensor data ending exactly at the file end (${dataLength} bytes of data; tensors end at ${cursor})`,
    );

  const tensors = new Map<string, WeightTensor>();
  for (const e of entries) tensors.set(e.name, viewTensor(buffer, dataStart + e.begin, e));
  return metadata ? { tensors, metadata } : { tensors };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FormatError(file, '__metadata__', 'an object of strings');
  for (const [k, v] of Object.entries(value))
    if (typeof v !== 'string') throw new FormatError(file, `__metadata__.${k}`, 'a string');
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, file: string, dataLength: number): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FormatError(file, name, 'an object with dtype, shape and data_offsets');
  const v = value as Record<string, unknown>;
  const dtypeName = v.dtype;
  if (typeof dtypeName !== 'string' || !(dtypeName in FILE_DTYPE))
    throw new FormatError(file, `${name}.dtype`, `one of F32, F16, BF16 (got ${JSON.stringify(dtypeName)})`);
  const dtype = FILE_DTYPE[dtypeName];
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new FormatError(
      file,
      `${name}.shape`,
      `an array of non-negative integers (got ${JSON.stringify(shape)})`,
    );
  const offsets = v.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  )
    throw new FormatError(
      file,
      `${name}.data_offsets`,
      `[begin, end] with 0 <= begin <= end (got ${JSON.stringify(offsets)})`,
    );
  const [begin, end] = offsets as number[];
  if (end > dataLength)
    throw new FormatError(
      file,
      `${name}.data_offsets`,
      `an end within the ${dataLength} bytes of tensor data (got ${end})`,
    );
  const numel = checkedElementCount(shape as number[], file, `${name}.shape`);
  const bytes = checkedMultiply(numel, DTYPE_BYTES[dtype], file, `${name}.shape`);
  if (end - begin !== bytes)
    throw new FormatError(
      file,
      `${name}.data_offsets`,
      `${bytes} bytes (${numel} elements of ${dtypeName}; got ${end - begin})`,
    );
  return { name, dtype, shape: shape as number[], begin, end };
}

function viewTensor(buffer: ArrayBuffer, byteOffset: number, e: HeaderEntry): WeightTensor {
  const width = DTYPE_BYTES[e.dtype];
  const count = (e.end - e.begin) / width;
  // A typed array view needs an offset aligned to its element size; otherwise copy this one tensor.
  const source = byteOffset % width === 0 ? buffer : buffer.slice(byteOffset, byteOffset + e.end - e.begin);
  const at = byteOffset % width === 0 ? byteOffset : 0;
  const data = e.dtype === 'f32' ? new Float32Array(source, at, count) : new Uint16Array(source, at, count);
  return { dtype: e.dtype, shape: e.shape, data };
}

/** The file's bytes as chunks: length, header padded with spaces to 8 bytes, then tensor data. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, WeightTensor>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const names = [...tensors.keys()].sort((a, b) => {
    const ra = DTYPE_RANK[tensors.get(a)!.dtype as FloatDType];
    const rb = DTYPE_RANK[tensors.get(b)!.dtype as FloatDType];
    return rb - ra || (a < b ? -1 : a > b ? 1 : 0);
  });
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const data: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors.get(name)!;
    if (isQuantized(t))
      throw new FormatError(
        'safetensors output',
        name,
        `f32, bf16 or f16 data (safetensors cannot hold ${t.dtype.toUpperCase()}; convert with --dtype)`,
      );
    const numel = checkedElementCount(t.shape, name, 'shape');
    if (numel !== t.data.length)
      throw new RangeError(
        `safetensors write: tensor '${name}' has ${t.data.length} elements for shape [${t.shape}]`,
      );
    const bytes = bytesOf(t.data);
    header[name] = {
      dtype: DTYPE_NAME[t.dtype as FloatDType],
      shape: t.shape,
      data_offsets: [offset, offset + bytes.byteLength],
    };
    offset += bytes.byteLength;
    data.push(bytes);
  }
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  const pad = (8 - (headerBytes.byteLength % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = new TextEncoder().encode(json);
  }
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  return [length, headerBytes, ...data];
}

/** Writes a safetensors file atomically (temp name, fsync, rename). */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, WeightTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
