// Writers never leave a half-written model under the final name: they write to a temporary
// sibling, flush it to disk, then rename it into place.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Writes `chunks` in order to `path` atomically (temp name, fsync, rename). */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * Fills a fresh temporary folder through `fill`, then renames it to `path`. An existing folder
 * at `path` is replaced only after the new one is complete.
 */
export function writeFolderAtomic(path: string, fill: (tmpDir: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(path)) {
    const old = temporarySibling(path) + '-old';
    renameSync(path, old);
    renameSync(tmp, path);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, path);
  }
}

/** A view of a typed array's bytes, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
