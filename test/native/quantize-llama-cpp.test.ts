// Our quantizers against llama.cpp's own (the files in fixtures/models/quantized, written by
// llama-quantize with no importance matrix): each F32 tensor, quantized to the type llama.cpp gave
// it in a NAME-TYPE.gguf, must be that file's tensor byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GgmlQuantType } from '../../src/formats/ggml-types.js';
import { parseGgufHeader } from '../../src/formats/gguf.js';
import type { GgufHeader } from '../../src/formats/gguf.js';
import { mmapFile } from '../../src/native/index.js';
import { quantize } from '../../src/native/quant.js';
import { QUANTIZED_DIR, missingFixture } from '../helpers/fixtures.js';

function open(path: string): { buffer: ArrayBuffer; header: GgufHeader } {
  const buffer = mmapFile(path);
  return { buffer, header: parseGgufHeader(buffer, path) };
}

const files = existsSync(QUANTIZED_DIR)
  ? readdirSync(QUANTIZED_DIR).filter((n) => /^(kq256|default)-(?!F32)\w+\.gguf$/.test(n))
  : [];

test('the quantized fixtures are there', { skip: missingFixture(QUANTIZED_DIR) }, () => {
  assert.equal(files.length, 16, files.join(', '));
});

for (const name of files) {
  const source = join(QUANTIZED_DIR, `${name.split('-')[0]}-F32.gguf`);
  test(`${name}: every quantized tensor equals ours, from the F32 file`, { skip: missingFixture(source) }, () => {
    const f32 = open(source);
    const quant = open(join(QUANTIZED_DIR, name));
    let compared = 0;
    for (const t of quant.header.tensors) {
      if (t.type === 'f32') continue;
      const s = f32.header.tensors.find((x) => x.name === t.name);
      assert.ok(s && s.type === 'f32', `${t.name} is F32 in ${source}`);
      const values = new Float32Array(f32.buffer, f32.header.dataStart + s.offset, s.byteSize / 4);
      const ours = quantize(t.type as GgmlQuantType, values);
      const theirs = new Uint8Array(quant.buffer, quant.header.dataStart + t.offset, t.byteSize);
      const first = ours.findIndex((b, i) => b !== theirs[i]);
      assert.equal(first, -1, `${t.name} (${t.type}): first different byte ${first} of ${t.byteSize}`);
      compared++;
    }
    assert.ok(compared > 0);
  });
}
