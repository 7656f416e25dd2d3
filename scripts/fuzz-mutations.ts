// The ways the fuzzer breaks a file: byte-level damage (truncation, bit flips, huge length fields,
// invalid UTF-8, NaN/Inf floats) and, for JSON, structural damage (wrong types, huge numbers,
// 100k-deep nesting). Every mutation is a pure function of the bytes and a seeded generator.

export type Random = () => number;

/** mulberry32: small, fast and seedable, so a failing case replays from (seed, format, index). */
export function seededGenerator(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for case `index` of `format`, so cases are independent of how a run is split. */
export function caseSeed(seed: number, format: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${format}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export const int = (r: Random, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Random, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Length-field values that break naive readers: all ones, sign bits, just past the file. */
function hugeValues(fileLength: number): bigint[] {
  return [
    0xffffffffffffffffn,
    0x8000000000000000n,
    0x7fffffffffffffffn,
    0xffffffffn,
    0x7fffffffn,
    0x80000000n,
    BigInt(fileLength + 1),
    BigInt(fileLength) * 2n,
    1n << 40n,
    0n,
  ];
}

/** Where header-like fields live: mostly near the start, sometimes anywhere. */
function headerPosition(r: Random, length: number, width: number): number {
  const span = r() < 0.7 ? Math.min(length, 4096) : length;
  return Math.max(0, Math.min(length - width, int(r, span)));
}

export type ByteMutation =
  | 'truncate'
  | 'bitflip'
  | 'overwrite'
  | 'insert'
  | 'delete'
  | 'huge-length'
  | 'invalid-utf8'
  | 'non-finite'
  | 'empty';

export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  'truncate',
  'bitflip',
  'overwrite',
  'insert',
  'delete',
  'huge-length',
  'invalid-utf8',
  'non-finite',
  'empty',
];

/** Applies `kind` to a copy of `bytes`; `dataStart` bounds where NaN/Inf floats go. */
export function mutateBytes(bytes: Uint8Array, kind: ByteMutation, r: Random, dataStart = 0): Uint8Array {
  const n = bytes.length;
  switch (kind) {
    case 'empty':
      return new Uint8Array(0);
    case 'truncate':
      return bytes.slice(0, r() < 0.5 ? int(r, Math.min(n, 4096)) : int(r, n));
    case 'bitflip': {
      const out = bytes.slice();
      for (let k = 1 + int(r, 8); k > 0; k--) {
        const at = r() < 0.5 ? headerPosition(r, n, 1) : int(r, n);
        out[at] ^= 1 << int(r, 8);
      }
      return out;
    }
    case 'overwrite': {
      const out = bytes.slice();
      const at = headerPosition(r, n, 1);
      for (let k = int(r, 64) + 1; k > 0 && at + k <= n; k--) out[at + k - 1] = int(r, 256);
      return out;
    }
    case 'insert': {
      const at = int(r, n + 1);
      const extra = new Uint8Array(1 + int(r, 64)).map(() => int(r, 256));
      return concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
    }
    case 'delete': {
      const at = int(r, n);
      const len = 1 + int(r, 64);
      return concat([bytes.subarray(0, at), bytes.subarray(Math.min(n, at + len))]);
    }
    case 'huge-length': {
      const out = bytes.slice();
      const width = r() < 0.5 ? 8 : 4;
      if (n < width) return out;
      // Aligned positions hit the fixed-width fields; unaligned ones hit GGUF string lengths.
      let at = headerPosition(r, n, width);
      if (r() < 0.5) at -= at % width;
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const v = pick(r, hugeValues(n));
      if (width === 8) view.setBigUint64(at, v, true);
      else view.setUint32(at, Number(v & 0xffffffffn), true);
      return out;
    }
    case 'invalid-utf8': {
      const out = bytes.slice();
      const seq = pick(r, [
        [0xff],
        [0xc3, 0x28],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0x80],
      ]);
      const at = r() < 0.6 ? headerPosition(r, n, seq.length) : int(r, Math.max(1, n - seq.length));
      seq.forEach((b, i) => {
        if (at + i < n) out[at + i] = b;
      });
      return out;
    }
    case 'non-finite': {
      const out = bytes.slice();
      const from = Math.min(n, dataStart + ((4 - (dataStart % 4)) % 4));
      const slots = Math.floor((n - from) / 4);
      if (slots <= 0) return out;
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      for (let k = 1 + int(r, 4); k > 0; k--)
        view.setUint32(
          from + 4 * int(r, slots),
          pick(r, [0x7fc00000, 0x7f800000, 0xff800000, 0xffffffff]),
          true,
        );
      return out;
    }
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const DEEP = '"\u0000deep\u0000"';

/** Every value's path in a JSON document (capped, sampled evenly), so one can be replaced. */
function jsonPaths(root: Json, limit = 20000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const stack: { v: Json; path: (string | number)[] }[] = [{ v: root, path: [] }];
  while (stack.length > 0 && out.length < limit) {
    const { v, path } = stack.pop()!;
    out.push(path);
    if (Array.isArray(v)) v.forEach((c, i) => stack.push({ v: c, path: [...path, i] }));
    else if (v !== null && typeof v === 'object')
      for (const [k, c] of Object.entries(v)) stack.push({ v: c, path: [...path, k] });
  }
  return out;
}

/** Replacement values that a loader must reject or tolerate: wrong types, extremes, deep nesting. */
function hostileValue(r: Random, depth: number): Json {
  switch (int(r, 13)) {
    case 0:
      return null;
    case 1:
      return -1;
    case 2:
      return 0;
    case 3:
      return 1e308;
    case 4:
      return 2 ** 53 + 2;
    case 5:
      return 0.5;
    case 6:
      return 'x'.repeat(int(r, 3) === 0 ? 1 << 16 : 3);
    case 7:
      return [];
    case 8:
      return {};
    case 9:
      return true;
    case 10:
      return DEEP;
    case 11:
      return [1, 2, 3, 4, 5, 6, 7, 8].map(() => int(r, 1 << 20));
    default:
      return depth > 0 ? 4294967296 : -2147483649;
  }
}

/**
 * A structural JSON mutation: replace or delete one value, or wrap the whole document in nesting
 * `deepNesting` levels deep. Returns null when the text is not JSON (then byte mutations apply).
 */
export function mutateJsonText(text: string, r: Random, deepNesting: number): string | null {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return null;
  }
  const deep = '['.repeat(deepNesting) + ']'.repeat(deepNesting);
  if (r() < 0.05) return r() < 0.5 ? deep : '{"a":' + '['.repeat(deepNesting);
  const paths = jsonPaths(root);
  const path = pick(r, paths);
  if (path.length === 0) return JSON.stringify(hostileValue(r, 0)).replace(DEEP, deep);
  let parent = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1))
    parent = (parent as Record<string | number, Json>)[key] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (r() < 0.15 && !Array.isArray(parent)) delete parent[last];
  else parent[last] = hostileValue(r, path.length);
  return JSON.stringify(root).replace(DEEP, deep);
}
