// A scalar TypeScript twin of GGML's dequantizers, written from the block formats (ggml-common.h)
// for tests: every float operation rounds to f32 with Math.fround, in the order of ggml's
// dequantize_row_* (a product, then a sum or difference), so the native paths must equal it bit
// for bit. Also the f16 fields of each block, so tests can make random blocks with finite scales.
import type { GgmlQuantType } from '../../src/formats/ggml-types.js';

const f = Math.fround;

/** The 16 levels of IQ4_NL / IQ4_XS (kvalues_iq4nl). */
export const IQ4NL_LEVELS = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/** IEEE binary16 bits to a number (exact). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

interface Format {
  elements: number;
  bytes: number;
  /** Byte offsets of the block's f16 fields (scales, mins). */
  halves: number[];
  /** Writes one block's elements to out[0..elements). */
  expand(b: Uint8Array, out: Float32Array): void;
}

const half = (b: Uint8Array, at: number): number => halfToNumber(b[at] | (b[at + 1] << 8));
const u32 = (b: Uint8Array, at: number): number =>
  (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const i8 = (v: number): number => (v << 24) >> 24;

// Q4_0/Q4_1/Q5_x/Q8_0/IQ4_NL: one 32-element block; nibble byte j holds elements j and j+16.
function nibbles(
  b: Uint8Array,
  at: number,
  level: (q: number, e: number) => number,
  out: Float32Array,
): void {
  for (let j = 0; j < 16; j++) {
    out[j] = level(b[at + j] & 0xf, j);
    out[j + 16] = level(b[at + j] >> 4, j + 16);
  }
}

/** Scale and min j of a Q4_K/Q5_K block: six bits each, packed into 12 bytes from `at`. */
export function scaleMinK4(b: Uint8Array, at: number, j: number): [number, number] {
  const q = (k: number): number => b[at + k];
  if (j < 4) return [q(j) & 63, q(j + 4) & 63];
  return [(q(j + 4) & 0xf) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4)];
}

/** The 16 six-bit scales of a Q3_K block (0..63, before taking 32 off). */
export function q3kScales(b: Uint8Array, at: number): number[] {
  return Array.from({ length: 16 }, (_, j) => {
    const low = j < 8 ? b[at + j] & 0xf : b[at + j - 8] >> 4;
    return low | (((b[at + 8 + (j % 4)] >> (2 * Math.floor(j / 4))) & 3) << 4);
  });
}

const FORMATS: Record<GgmlQuantType, Format> = {
  q4_0: {
    elements: 32,
    bytes: 18,
    halves: [0],
    expand: (b, out) => nibbles(b, 2, (q) => f((q - 8) * half(b, 0)), out),
  },
  q4_1: {
    elements: 32,
    bytes: 20,
    halves: [0, 2],
    expand: (b, out) => nibbles(b, 4, (q) => f(f(q * half(b, 0)) + half(b, 2)), out),
  },
  q5_0: {
    elements: 32,
    bytes: 22,
    halves: [0],
    expand: (b, out) =>
      nibbles(b, 6, (q, e) => f(((q | (((u32(b, 2) >>> e) & 1) << 4)) - 16) * half(b, 0)), out),
  },
  q5_1: {
    elements: 32,
    bytes: 24,
    halves: [0, 2],
    expand: (b, out) =>
      nibbles(b, 8, (q, e) => f(f((q | (((u32(b, 4) >>> e) & 1) << 4)) * half(b, 0)) + half(b, 2)), out),
  },
  q8_0: {
    elements: 32,
    bytes: 34,
    halves: [0],
    expand: (b, out) => {
      for (let j = 0; j < 32; j++) out[j] = f(i8(b[2 + j]) * half(b, 0));
    },
  },
  // 16 groups of 16: element 128·h + 32·s + 16·g + l is bits 2s of qs[32h + 16g + l], scale byte 8h + 2s + g.
  q2_k: {
    elements: 256,
    bytes: 84,
    halves: [80, 82],
    expand: (b, out) => {
      const d = half(b, 80),
        dmin = half(b, 82);
      for (let e = 0; e < 256; e++) {
        const h = e >> 7,
          s = (e >> 5) & 3,
          g = (e >> 4) & 1,
          l = e & 15;
        const sc = b[8 * h + 2 * s + g];
        const q = (b[16 + 32 * h + 16 * g + l] >> (2 * s)) & 3;
        out[e] = f(f(f(d * (sc & 0xf)) * q) - f(dmin * (sc >> 4)));
      }
    },
  },
  // As Q2_K's layout for the low bits; the high bit of element e is bit (e >> 5) of hmask[e & 31].
  q3_k: {
    elements: 256,
    bytes: 110,
    halves: [108],
    expand: (b, out) => {
      const d = half(b, 108);
      const scales = q3kScales(b, 96);
      for (let e = 0; e < 256; e++) {
        const h = e >> 7,
          s = (e >> 5) & 3,
          g = (e >> 4) & 1,
          l = e & 15;
        const low = (b[32 + 32 * h + 16 * g + l] >> (2 * s)) & 3;
        const high = (b[e & 31] >> (e >> 5)) & 1;
        out[e] = f(f(d * (scales[8 * h + 2 * s + g] - 32)) * (low - (high ? 0 : 4)));
      }
    },
  },
  // 8 sub-blocks of 32: sub-block 2r + k (run r of 64) is the low (k 0) or high (k 1) nibbles of qs[32r..32r+31].
  q4_k: { elements: 256, bytes: 144, halves: [0, 2], expand: (b, out) => expandQ45K(b, out, false) },
  q5_k: { elements: 256, bytes: 176, halves: [0, 2], expand: (b, out) => expandQ45K(b, out, true) },
  // Element 128·h + 32·s + l: low nibble of ql[64h + l + 32(s&1)] (high nibble when s ≥ 2), high bits
  // 2s of qh[32h + l], scale index 8h + 2s + (l >> 4); value (d·scale)·(q - 32).
  q6_k: {
    elements: 256,
    bytes: 210,
    halves: [208],
    expand: (b, out) => {
      const d = half(b, 208);
      for (let e = 0; e < 256; e++) {
        const h = e >> 7,
          s = (e >> 5) & 3,
          l = e & 31;
        const lowByte = b[64 * h + l + 32 * (s & 1)];
        const low = s >= 2 ? lowByte >> 4 : lowByte & 0xf;
        const high = (b[128 + 32 * h + l] >> (2 * s)) & 3;
        const scale = i8(b[192 + 8 * h + 2 * s + (l >> 4)]);
        out[e] = f(f(d * scale) * ((low | (high << 4)) - 32));
      }
    },
  },
  iq4_nl: {
    elements: 32,
    bytes: 18,
    halves: [0],
    expand: (b, out) => nibbles(b, 2, (q) => f(half(b, 0) * IQ4NL_LEVELS[q]), out),
  },
  // 8 sub-blocks of 32, each an IQ4_NL nibble run with scale d·(ls - 32): ls is 4 bits of
  // scales_l[ib/2] and 2 bits of scales_h.
  iq4_xs: {
    elements: 256,
    bytes: 136,
    halves: [0],
    expand: (b, out) => {
      const d = half(b, 0);
      const scalesH = b[2] | (b[3] << 8);
      for (let ib = 0; ib < 8; ib++) {
        const ls = ((b[4 + (ib >> 1)] >> (4 * (ib & 1))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
        const dl = f(d * (ls - 32));
        nibbles(b, 8 + 16 * ib, (q) => f(dl * IQ4NL_LEVELS[q]), out.subarray(32 * ib));
      }
    },
  },
};

function expandQ45K(b: Uint8Array, out: Float32Array, fifthBit: boolean): void {
  const d = half(b, 0),
    dmin = half(b, 2);
  const qs = fifthBit ? 48 : 16;
  for (let sub = 0; sub < 8; sub++) {
    const [sc, m] = scaleMinK4(b, 4, sub);
    const run = sub >> 1;
    for (let l = 0; l < 32; l++) {
      const byte = b[qs + 32 * run + l];
      const low = sub & 1 ? byte >> 4 : byte & 0xf;
      const high = fifthBit ? ((b[16 + l] >> sub) & 1) << 4 : 0;
      out[32 * sub + l] = f(f(f(d * sc) * (low + high)) - f(dmin * m));
    }
  }
}

/** Block geometry and f16 field offsets of a type, for tests that build blocks by hand. */
export function referenceFormat(type: GgmlQuantType): { elements: number; bytes: number; halves: number[] } {
  const { elements, bytes, halves } = FORMATS[type];
  return { elements, bytes, halves };
}

/** Dequantizes whole blocks of `type` to f32, one scalar operation at a time. */
export function dequantizeReference(type: GgmlQuantType, src: Uint8Array): Float32Array {
  const fmt = FORMATS[type];
  if (src.length % fmt.bytes !== 0) throw new RangeError(`${src.length} bytes are not whole ${type} blocks`);
  const blocks = src.length / fmt.bytes;
  const out = new Float32Array(blocks * fmt.elements);
  for (let i = 0; i < blocks; i++)
    fmt.expand(src.subarray(i * fmt.bytes, (i + 1) * fmt.bytes), out.subarray(i * fmt.elements));
  return out;
}
