// A scalar TypeScript twin of llama.cpp's reference quantizers for the 32-element types
// (quantize_row_q{4_0,4_1,5_0,5_1,8_0}_ref), written from their description: the scale from the
// block's extremes, each element put on that grid, every f32 operation rounded with Math.fround.
// The K-quants' searches are checked against llama.cpp's own files instead (fixtures).

const f = Math.fround;

/** f32 value to IEEE binary16 bits, rounding to nearest even (exact arithmetic in float64). */
export function numberToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  const roundEven = (x: number): number => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (1024 rounds up to the first normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let q = roundEven((a / 2 ** e - 1) * 1024);
  if (q === 1024) {
    q = 0;
    e++;
  }
  return e > 15 ? sign | 0x7c00 : sign | ((e + 15) << 10) | q;
}

/** C's conversion of a float to int8_t: truncation toward zero (the values here are in range). */
const toInt8 = (x: number): number => (Math.trunc(x) << 24) >> 24;
/** C's roundf: halves away from zero. */
const roundAway = (x: number): number => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

function signedAbsMax(x: Float32Array): number {
  let amax = 0,
    max = 0;
  for (const v of x)
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  return max;
}

function minMax(x: Float32Array): [number, number] {
  let min = f(3.4028234663852886e38),
    max = -min;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function putHalf(out: Uint8Array, at: number, v: number): void {
  const h = numberToHalf(v);
  out[at] = h & 0xff;
  out[at + 1] = h >> 8;
}

/** 32 levels of up to 5 bits: low nibbles two per byte (j and j+16), fifth bits as a u32 (bit j). */
function putLevels(out: Uint8Array, qs: number, qh: number | null, levels: number[]): void {
  let high = 0;
  for (let j = 0; j < 16; j++) {
    out[qs + j] = (levels[j] & 0xf) | ((levels[j + 16] & 0xf) << 4);
    high |= ((levels[j] >> 4) & 1) << j;
    high |= ((levels[j + 16] >> 4) & 1) << (j + 16);
  }
  if (qh !== null) for (let k = 0; k < 4; k++) out[qh + k] = (high >>> (8 * k)) & 0xff;
}

type Legacy = 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1' | 'q8_0';
const BYTES: Record<Legacy, number> = { q4_0: 18, q4_1: 20, q5_0: 22, q5_1: 24, q8_0: 34 };

function quantizeBlock(type: Legacy, x: Float32Array, out: Uint8Array): void {
  if (type === 'q8_0') {
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    putHalf(out, 0, d);
    for (let j = 0; j < 32; j++) out[2 + j] = roundAway(f(x[j] * id)) & 0xff;
  } else if (type === 'q4_0' || type === 'q5_0') {
    const half = type === 'q4_0' ? 8 : 16;
    const d = f(signedAbsMax(x) / -half);
    const id = d ? f(1 / d) : 0;
    putHalf(out, 0, d);
    const levels = Array.from(x, (v) => Math.min(2 * half - 1, toInt8(f(f(v * id) + half + 0.5))));
    putLevels(out, type === 'q4_0' ? 2 : 6, type === 'q4_0' ? null : 2, levels);
  } else {
    const top = type === 'q4_1' ? 15 : 31;
    const [min, max] = minMax(x);
    const d = f(f(max - min) / top);
    const id = d ? f(1 / d) : 0;
    putHalf(out, 0, d);
    putHalf(out, 2, min);
    const levels = Array.from(x, (v) => Math.min(top, toInt8(f(f(f(v - min) * id) + 0.5))));
    putLevels(out, type === 'q4_1' ? 4 : 8, type === 'q4_1' ? null : 4, levels);
  }
}

/** Quantizes whole 32-element blocks of a legacy type, one scalar operation at a time. */
export function quantizeLegacyReference(type: Legacy, x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * BYTES[type]);
  for (let b = 0; b < blocks; b++)
    quantizeBlock(type, x.subarray(32 * b, 32 * b + 32), out.subarray(b * BYTES[type]));
  return out;
}
