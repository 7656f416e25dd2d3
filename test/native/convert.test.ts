// Conversions f32 <-> bf16 <-> f16 against bit-level references, including the edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/native/index.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

// Reference bf16 rounding via the float64 value: nearest even of the 8-bit-mantissa grid.
function bf16Reference(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  if ((u & 0x7fffffff) > 0x7f800000) return NaN;
  const lower = new Float32Array(new Uint32Array([u & 0xffff0000]).buffer)[0];
  const upperBits = (u & 0xffff0000) + 0x10000;
  const upper = new Float32Array(new Uint32Array([upperBits >>> 0]).buffer)[0];
  // Past the largest finite bf16 the next grid point is 2^128, which rounds to infinity.
  const upperValue = upper === Infinity || upper === -Infinity ? Math.sign(upper) * 2 ** 128 : upper;
  const dl = Math.abs(f[0] - lower),
    du = Math.abs(upperValue - f[0]);
  if (dl < du) return lower;
  if (du < dl) return upper;
  return ((u >>> 16) & 1) === 0 ? lower : upper;
}

test('f32 -> bf16 -> f32 rounds to nearest even and keeps specials', () => {
  const rand = mulberry32(1);
  const src = randomF32(10007, rand).map((v, i) => v * 2 ** ((i % 60) - 30));
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-40, 3.4e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
  const all = new Float32Array([...src, ...specials]);
  const back = bf16ToF32(f32ToBf16(all));
  for (let i = 0; i < all.length; i++) {
    const want = bf16Reference(all[i]);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(back[i]), `index ${i}`);
    else assert.equal(back[i], want, `index ${i}: ${all[i]}`);
  }
});

test('f16 round trip is exact on every f16 value, and f32 -> f16 rounds to nearest', () => {
  const every = new Uint16Array(65536).map((_, i) => i);
  const widened = f16ToF32(every);
  const narrowed = f32ToF16(widened);
  for (let i = 0; i < 65536; i++) {
    const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN16) assert.ok(Number.isNaN(widened[i]));
    else assert.equal(narrowed[i], i, `f16 bits ${i.toString(16)}`);
  }
  // Midpoints between neighbouring positive finite f16 values round to the even one.
  const mids: number[] = [];
  const expect: number[] = [];
  for (let h = 0; h < 0x7bff; h += 97) {
    const lo = widened[h],
      hi = widened[h + 1];
    mids.push((lo + hi) / 2);
    expect.push(h % 2 === 0 ? h : h + 1);
    mids.push(lo + (hi - lo) * 0.25);
    expect.push(h);
  }
  const got = f32ToF16(new Float32Array(mids));
  for (let i = 0; i < mids.length; i++) assert.equal(got[i], expect[i], `value ${mids[i]}`);
  assert.equal(f32ToF16(new Float32Array([70000]))[0], 0x7c00);
  assert.equal(f32ToF16(new Float32Array([-1e-9]))[0], 0x8000);
});
