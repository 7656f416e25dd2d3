// The GGML type table: ids and names as ggml.h and llama.cpp give them, lookups, and row sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GGML_QUANT_TYPES,
  GGML_TYPES,
  ggmlQuantType,
  ggmlRowBytes,
  ggmlTypeById,
  ggmlTypeByName,
} from '../../src/formats/ggml-types.js';
import type { GgmlQuantType } from '../../src/formats/ggml-types.js';

test('ids, printed names and block sizes are those of ggml.h / ggml-common.h', () => {
  const want: [number, string, number, number][] = [
    [0, 'F32', 1, 4],
    [1, 'F16', 1, 2],
    [2, 'Q4_0', 32, 18],
    [3, 'Q4_1', 32, 20],
    [6, 'Q5_0', 32, 22],
    [7, 'Q5_1', 32, 24],
    [8, 'Q8_0', 32, 34],
    [10, 'Q2_K', 256, 84],
    [11, 'Q3_K', 256, 110],
    [12, 'Q4_K', 256, 144],
    [13, 'Q5_K', 256, 176],
    [14, 'Q6_K', 256, 210],
    [20, 'IQ4_NL', 32, 18],
    [23, 'IQ4_XS', 256, 136],
    [30, 'BF16', 1, 2],
  ];
  assert.deepEqual(
    GGML_TYPES.map((t) => [t.id, t.ggmlName, t.blockElements, t.blockBytes]),
    want,
  );
  assert.deepEqual(GGML_QUANT_TYPES, [
    'q4_0',
    'q4_1',
    'q5_0',
    'q5_1',
    'q8_0',
    'q2_k',
    'q3_k',
    'q4_k',
    'q5_k',
    'q6_k',
    'iq4_nl',
    'iq4_xs',
  ]);
});

test('lookups by id and by name (either case), and undefined for others', () => {
  assert.equal(ggmlTypeById(12)?.name, 'q4_k');
  assert.equal(ggmlTypeById(23)?.ggmlName, 'IQ4_XS');
  assert.equal(ggmlTypeById(16), undefined); // IQ2_XXS: not one we read
  assert.equal(ggmlTypeByName('Q6_K')?.id, 14);
  assert.equal(ggmlTypeByName('iq4_nl')?.id, 20);
  assert.equal(ggmlTypeByName('bf16')?.quantized, false);
  assert.equal(ggmlTypeByName('q4_k_m'), undefined);
  assert.equal(ggmlQuantType('q5_k').id, 13);
  assert.throws(() => ggmlQuantType('f16' as GgmlQuantType), /unknown GGML quantized type 'f16'/);
});

test('row bytes: whole blocks only', () => {
  assert.equal(ggmlRowBytes('q4_k', 4096), 16 * 144);
  assert.equal(ggmlRowBytes('q8_0', 192), 6 * 34);
  assert.equal(ggmlRowBytes('f16', 7), 14);
  assert.equal(ggmlRowBytes('iq4_xs', 0), 0);
  assert.throws(() => ggmlRowBytes('q4_k', 192), /Q4_K row must be a multiple of 256 elements \(got 192\)/);
  assert.throws(() => ggmlRowBytes('q4_0', 33), /multiple of 32/);
  assert.throws(() => ggmlRowBytes('q4_0', -32), /non-negative integer/);
});
