// Files past 4 GiB (a 7B Q4_K_M GGUF in one file, a 5 GB safetensors shard): mapped whole and read
// through a header reader, on a sparse file that costs no disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { ByteReader } from '../../src/formats/byte-reader.js';
import { mmapFile } from '../../src/native/index.js';
import { tempDir } from './temp-dir.js';

test('a 4.5 GB file maps whole; the header reader and far views work', (t) => {
  const path = join(tempDir(t), 'big.bin');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 4_500_000_000);
  writeSync(fd, Buffer.from([7, 0, 0, 0]), 0, 4, 0);
  writeSync(fd, Buffer.from([42]), 0, 1, 4_400_000_001);
  closeSync(fd);
  const buffer = mmapFile(path);
  assert.equal(buffer.byteLength, 4_500_000_000);
  const r = new ByteReader(buffer, path);
  assert.equal(r.length, 4_500_000_000);
  assert.equal(r.u32('first'), 7);
  assert.equal(new Uint8Array(buffer, 4_400_000_000, 4)[1], 42);
});
