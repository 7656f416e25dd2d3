// Disk-full and read-only targets give a message naming the path and the cause and leave nothing
// behind; an output path that is the input model, or inside it, is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OutputWriteError, writeFileAtomic, clearStaleTemporaries } from '../../src/formats/atomic-write.js';
import { loadModel, saveModel } from '../../src/formats/load.js';
import { OutputPathError, refuseOutputOverInput } from '../../src/formats/output-guard.js';
import { saveModelWithTokenizer } from '../../src/pipeline/save-model.js';
import { smallTwin, smallTwinFiles } from '../helpers/project-models.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shorten-write-errors-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Mounts a small tmpfs (root only); returns null where mounting is not allowed. */
function mountTmpfs(at: string, options: string): string | null {
  mkdirSync(at, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' });
    return at;
  } catch {
    return null;
  }
}
const unmount = (at: string): void => void execFileSync('umount', [at], { stdio: 'ignore' });

test('a full disk fails with the path and "disk is full", and leaves no partial file', (t) => {
  const mnt = mountTmpfs(join(dir, 'full'), 'size=256k');
  if (!mnt) return t.skip('cannot mount a tmpfs here (needs root)');
  try {
    const weights = smallTwin().weights; // about 1 MB: more than the 256 KB disk
    for (const [format, out] of [
      ['gguf', join(mnt, 'm.gguf')],
      ['hf', join(mnt, 'hf')],
      ['llama2c', join(mnt, 'm.bin')],
    ] as const) {
      assert.throws(
        () => saveModel(weights, out, format),
        (e: unknown) =>
          e instanceof OutputWriteError &&
          e.code === 'ENOSPC' &&
          e.message.includes(out) &&
          /disk is full/.test(e.message),
      );
      assert.deepEqual(readdirSync(mnt), [], `${format}: something was left behind`);
    }
  } finally {
    unmount(mnt);
  }
});

test('a read-only target fails with the path and the cause, and leaves nothing', (t) => {
  const mnt = mountTmpfs(join(dir, 'ro'), 'size=1m,ro');
  if (!mnt) return t.skip('cannot mount a tmpfs here (needs root)');
  try {
    const out = join(mnt, 'm.gguf');
    assert.throws(
      () => saveModel(smallTwin().weights, out, 'gguf'),
      (e: unknown) =>
        e instanceof OutputWriteError && e.message.includes(out) && /read-only|permission/.test(e.message),
    );
    assert.equal(existsSync(out), false);
  } finally {
    unmount(mnt);
  }
});

test('a temporary left by a dead writer is cleared, and a parked complete folder is restored', () => {
  const target = join(dir, 'stale', 'out.gguf');
  mkdirSync(join(dir, 'stale'));
  // pid 2^22 + 1 is above Linux's pid_max default, so no process has it.
  const dead = 4194305;
  writeFileAtomic(join(dir, 'stale', `.out.gguf.tmp-${dead}-x`), [new Uint8Array(3)]);
  mkdirSync(join(dir, 'stale', `.hf.tmp-${dead}-y-old`));
  clearStaleTemporaries(target);
  clearStaleTemporaries(join(dir, 'stale', 'hf'));
  assert.deepEqual(readdirSync(join(dir, 'stale')).sort(), ['hf']);
});

test('an output path that is the input model, or inside it, is refused', () => {
  const hf = join(dir, 'input-hf');
  saveModel(smallTwin().weights, hf, 'hf');
  const m = loadModel(hf); // maps hf/model.safetensors, as a command's input
  const ggufPath = smallTwinFiles(join(dir, 'twin')).gguf;
  const gguf = loadModel(ggufPath);
  for (const out of [hf, join(hf, 'nested'), join(hf, 'model.safetensors'), dir]) {
    assert.throws(
      () => saveModelWithTokenizer(m.weights, null, out, 'hf'),
      (e: unknown) => e instanceof OutputPathError && e.message.includes(out),
    );
  }
  assert.throws(() => refuseOutputOverInput(ggufPath, { mapped: true }), OutputPathError);
  // Beside the input is fine.
  saveModelWithTokenizer(m.weights, null, join(dir, 'beside-hf'), 'hf');
  assert.equal(gguf.format, 'gguf');
});
