// Temporary folders for format tests, removed when the test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ModelWeights } from '../../src/model/weights.js';
import assert from 'node:assert/strict';

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-formats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { STORIES260K_BIN as STORIES_BIN, STORIES260K_GGUF as STORIES_GGUF } from '../helpers/fixtures.js';

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Every tensor of `b` equals (same dtype, shape, bits) the tensor of that name in `a`, and the name sets match. */
export function assertSameTensors(
  a: ModelWeights,
  b: ModelWeights,
  rename: (n: string) => string = (n) => n,
): void {
  assert.deepEqual([...b.tensors.keys()].sort(), [...a.tensors.keys()].map(rename).sort());
  for (const [name, ta] of a.tensors) {
    const tb = b.tensors.get(rename(name))!;
    assert.equal(tb.dtype, ta.dtype, name);
    assert.deepEqual(tb.shape, ta.shape, name);
    assert.ok(bytes(ta.data).equals(bytes(tb.data)), `${name}: data differs`);
  }
}
