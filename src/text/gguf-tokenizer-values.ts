// Reading `tokenizer.ggml.*` values out of GGUF metadata as the tokenizer layer receives them
// (a Map or a plain record; arrays plain or typed; ids as numbers or bigints), checked, not trusted.

import { TokenizerFormatError } from './tokenizer-errors.js';

export type GgufMetadata = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

export function lookup(metadata: GgufMetadata, key: string): unknown {
  if (metadata instanceof Map) return metadata.get(key);
  const record = metadata as Readonly<Record<string, unknown>>;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** An array or typed array of the metadata value, as a plain array; null when absent. */
export function arrayValue(value: unknown, key: string, source: string): unknown[] | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>);
  }
  throw new TokenizerFormatError(source, key, 'expected an array');
}

/** A required array of strings. */
export function stringArray(metadata: GgufMetadata, key: string, source: string): string[] {
  const values = arrayValue(lookup(metadata, key), key, source);
  if (values === null)
    throw new TokenizerFormatError(source, key, 'expected an array of strings, it is missing');
  return values.map((v, i) => {
    if (typeof v !== 'string') throw new TokenizerFormatError(source, `${key}[${i}]`, 'expected a string');
    return v;
  });
}

/** llama.cpp writes -1 (as uint32 0xFFFFFFFF) for "no such token". */
const NO_TOKEN = new Set([-1, 0xffffffff]);

/** A token id metadata value; null when absent or llama.cpp's "no token" marker. */
export function tokenIdValue(metadata: GgufMetadata, key: string, source: string): number | null {
  const value = lookup(metadata, key);
  if (value === undefined) return null;
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new TokenizerFormatError(source, key, `expected an integer token id, got ${String(value)}`);
  }
  return NO_TOKEN.has(n) ? null : n;
}

export function numberArray(values: unknown[], key: string, source: string): number[] {
  return values.map((v, i) => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new TokenizerFormatError(source, `${key}[${i}]`, `expected a finite number, got ${String(v)}`);
    }
    return n;
  });
}

/** A boolean key; `fallback` when absent, an error when of another type. */
export function booleanValue(
  metadata: GgufMetadata,
  key: string,
  fallback: boolean,
  source: string,
): boolean {
  const value = lookup(metadata, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TokenizerFormatError(source, key, `expected a boolean, got ${String(value)}`);
  return value;
}

/** `tokenizer.chat_template`, when present. */
export function chatTemplateValue(metadata: GgufMetadata, source: string): string | null {
  const value = lookup(metadata, 'tokenizer.chat_template');
  if (value === undefined) return null;
  if (typeof value !== 'string')
    throw new TokenizerFormatError(source, 'tokenizer.chat_template', 'expected a string');
  return value;
}
