// safetensors reading and writing: round trips, the reference layout, and every rejected header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/formats/errors.js';
import { parseSafetensors, readSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import type { WeightTensor } from '../../src/model/weights.js';
import { tempDir } from './temp-dir.js';

/** A file from a header object and a data section, as a test sees fit (possibly broken). */
function fileBytes(header: unknown, data: Uint8Array, headerLength?: number): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out.buffer;
}

function rejects(buffer: ArrayBuffer, field: RegExp): void {
  assert.throws(
    () => parseSafetensors(buffer, 'bad.safetensors'),
    (e: unknown) => e instanceof FormatError && e.file === 'bad.safetensors' && field.test(e.field),
  );
}

const twoTensors = {
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'F16', shape: [2, 2], data_offsets: [8, 16] },
};

test('write then read gives the same tensors; the header is space-padded to 8 and sorted as the reference', (t) => {
  const dir = tempDir(t);
  const tensors = new Map<string, WeightTensor>([
    ['z.f16', { dtype: 'f16', shape: [3], data: new Uint16Array([1, 2, 3]) }],
    ['b.f32', { dtype: 'f32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 4]) }],
    ['a.bf16', { dtype: 'bf16', shape: [1, 3], data: new Uint16Array([7, 8, 9]) }],
    ['a.f32', { dtype: 'f32', shape: [0], data: new Float32Array(0) }],
  ]);
  const path = join(dir, 'm.safetensors');
  writeSafetensors(path, tensors, { format: 'pt' });
  const raw = readFileSync(path);
  const n = Number(raw.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = JSON.parse(raw.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
  // Wider dtypes first (F32, BF16, F16), then by name, as the reference writer orders them.
  const byOffset = Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .sort(
      (x, y) =>
        header[x].data_offsets[0] - header[y].data_offsets[0] ||
        header[x].data_offsets[1] - header[y].data_offsets[1],
    );
  assert.deepEqual(byOffset, ['a.f32', 'b.f32', 'a.bf16', 'z.f16']);
  const back = readSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt' });
  for (const [name, want] of tensors) {
    const got = back.tensors.get(name)!;
    assert.equal(got.dtype, want.dtype);
    assert.deepEqual(got.shape, want.shape);
    assert.deepEqual([...got.data], [...want.data]);
  }
});

test('a tensor at an offset misaligned for its type is copied, not refused', () => {
  const data = new Uint8Array(2 + 8);
  new DataView(data.buffer).setFloat32(2, 1.5, true);
  new DataView(data.buffer).setFloat32(6, -3, true);
  const header = {
    h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
    f: { dtype: 'F32', shape: [2], data_offsets: [2, 10] },
  };
  // Pad the header so the data section starts 8-aligned; f then sits at an offset ≡ 2 (mod 4).
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const contents = parseSafetensors(fileBytes(JSON.parse(json), data, undefined), 'ok.safetensors');
  assert.deepEqual([...contents.tensors.get('f')!.data], [1.5, -3]);
});

test('a truncated file is refused naming the header length', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'short.safetensors');
  writeFileSync(path, Buffer.from([1, 2, 3]));
  assert.throws(
    () => readSafetensors(path),
    (e: unknown) => e instanceof FormatError && e.file === path && e.field === 'header length',
  );
  // Data cut short: the last tensor no longer fits.
  const whole = new Uint8Array(fileBytes(twoTensors, new Uint8Array(16)));
  rejects(whole.slice(0, whole.length - 3).buffer, /^b\.data_offsets$/);
});

test('a header length past the end of the file is refused', () => {
  rejects(fileBytes(twoTensors, new Uint8Array(16), 1 << 20), /^header length$/);
});

test('data_offsets past the end, overlapping, with gaps, or not ending at the file end are refused', () => {
  rejects(
    fileBytes({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    /^a\.data_offsets$/,
  );
  rejects(
    fileBytes(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    ),
    /^b\.data_offsets$/,
  );
  rejects(
    fileBytes(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
      },
      new Uint8Array(20),
    ),
    /^b\.data_offsets$/,
  );
  rejects(fileBytes(twoTensors, new Uint8Array(24)), /^data_offsets$/);
  rejects(
    fileBytes({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /^a\.data_offsets$/,
  );
  rejects(
    fileBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)),
    /^a\.data_offsets$/,
  );
});

test('an unsupported dtype, a bad shape or a non-object header is refused', () => {
  rejects(
    fileBytes({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /^a\.dtype$/,
  );
  rejects(
    fileBytes({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)),
    /^a\.shape$/,
  );
  rejects(fileBytes([1, 2], new Uint8Array(0)), /^header$/);
  rejects(fileBytes({ __metadata__: { k: 1 } }, new Uint8Array(0)), /^__metadata__\.k$/);
  const message = (() => {
    try {
      parseSafetensors(
        fileBytes({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
        'x.safetensors',
      );
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.match(message, /^x\.safetensors: field 'a\.dtype': expected one of F32, F16, BF16 \(got "F64"\)$/);
});
