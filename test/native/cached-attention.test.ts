// The KV-cache attention kernel (prefill and decode, grouped-query heads, left padding) against a
// float64 reference on random data, on every instruction-set path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedAttentionForwardF32 } from '../../src/native/ops.js';
import { activeIsa, availableIsas, setIsa } from '../../src/native/index.js';
import { mulberry32 } from '../helpers/random.js';

interface Case {
  B: number;
  S: number;
  Hq: number;
  Hkv: number;
  D: number;
  start: number;
  padding: number[];
}

/** out[b, s, h] = softmax over visible keys of q·k/√D, times v; a padding query sees only itself. */
function reference(c: Case, q: Float32Array, keys: Float32Array, values: Float32Array, capacity: number): Float64Array {
  const { B, S, Hq, Hkv, D, start } = c;
  const out = new Float64Array(B * S * Hq * D);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++)
      for (let h = 0; h < Hq; h++) {
        const pos = start + s;
        const pad = c.padding[b];
        const first = pos < pad ? pos : pad;
        const kv = (b * Hkv + Math.floor(h / (Hq / Hkv))) * capacity;
        const qo = ((b * S + s) * Hq + h) * D;
        const scores: number[] = [];
        for (let p = first; p <= pos; p++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d] * keys[(kv + p) * D + d];
          scores.push(dot / Math.sqrt(D));
        }
        const mx = Math.max(...scores);
        const w = scores.map((x) => Math.exp(x - mx));
        const sum = w.reduce((a, x) => a + x, 0);
        for (let p = first; p <= pos; p++)
          for (let d = 0; d < D; d++) out[qo + d] += (w[p - first] / sum) * values[(kv + p) * D + d];
      }
  return out;
}

function check(c: Case, seed: number): void {
  const rand = mulberry32(seed);
  const capacity = c.start + c.S + 3;
  const fill = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const q = fill(c.B * c.S * c.Hq * c.D, 2);
  const keys = fill(c.B * c.Hkv * capacity * c.D, 2);
  const values = fill(c.B * c.Hkv * capacity * c.D, 1);
  const want = reference(c, q, keys, values, capacity);
  const out = new Float32Array(want.length).fill(NaN); // an unwritten element fails
  cachedAttentionForwardF32(out, q, keys, values, Int32Array.from(c.padding), c.B, c.S, c.Hq, c.Hkv, c.D, capacity, c.start);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(out[i] - want[i]));
  assert.ok(worst < 2e-5, `${JSON.stringify(c)} on ${activeIsa()}: max error ${worst}`);
}

test('cached attention equals the float64 reference for prefill and decode on every ISA path', () => {
  const before = activeIsa();
  try {
    for (const isa of availableIsas()) {
      assert.equal(setIsa(isa), true);
      // prefill from an empty cache, longer than one query block, odd head size, left padding
      check({ B: 3, S: 70, Hq: 6, Hkv: 2, D: 9, start: 0, padding: [0, 5, 69] }, 1);
      // a continuation after a prefix (continuation scoring), head size 8 (stories260K)
      check({ B: 2, S: 7, Hq: 8, Hkv: 4, D: 8, start: 33, padding: [3, 0] }, 2);
      // decode: one query per row
      check({ B: 4, S: 1, Hq: 4, Hkv: 1, D: 33, start: 129, padding: [0, 1, 7, 129] }, 3);
      check({ B: 1, S: 1, Hq: 1, Hkv: 1, D: 1, start: 0, padding: [0] }, 4);
    }
  } finally {
    setIsa(before);
  }
});
