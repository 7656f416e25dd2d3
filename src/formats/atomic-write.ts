// Writers never leave a half-written model under the final name: they write to a temporary
// sibling, flush it to disk, rename it into place and flush the folder. Temporaries a killed
// process left behind are cleared (or, for a replaced folder, restored) by the next write.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

/** A write that failed (disk full, no permission, read-only file system): names the path and the cause. */
export class OutputWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(
      `${path}: field 'output': expected a writable location, but ${describe(code)} (${code}); nothing was written there`,
      {
        cause,
      },
    );
    this.name = 'OutputWriteError';
  }
}

function describe(code: string): string {
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EDQUOT') return 'the disk quota is exhausted';
  if (code === 'EACCES' || code === 'EPERM') return 'permission was denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOTDIR') return 'a parent of the path is a file';
  if (code === 'EISDIR') return 'the path is a folder';
  return 'the write failed';
}

function asWriteError(path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (e instanceof OutputWriteError || typeof code !== 'string') return e;
  return new OutputWriteError(path, code, e);
}

const TEMP_MARK = '.tmp-';

function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}-${Date.now().toString(36)}`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Clears temporaries of `path` left by dead writers. A folder parked as `-old` while its successor
 * was renamed in was complete: when nothing took its place it goes back.
 */
export function clearStaleTemporaries(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) return;
  const prefix = `.${basename(path)}${TEMP_MARK}`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || processAlive(pid)) continue;
    const full = join(dir, name);
    if (name.endsWith('-old') && !existsSync(path)) renameSync(full, path);
    else rmSync(full, { recursive: true, force: true });
  }
}

/** Flushes a folder's entries (the rename) to disk; some file systems refuse, which is harmless. */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // A folder fsync is not supported everywhere; the data itself was synced.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Writes `chunks` in order to `path` atomically (temp name, fsync, rename, folder fsync). */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  let tmp: string | null = null;
  try {
    mkdirSync(dirname(path), { recursive: true });
    clearStaleTemporaries(path);
    tmp = temporarySibling(path);
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of chunks) {
        let done = 0;
        while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    tmp = null;
    syncFolder(dirname(path));
  } catch (e) {
    if (tmp !== null) rmSync(tmp, { force: true });
    throw asWriteError(path, e);
  }
}

/**
 * Fills a fresh temporary folder through `fill`, then renames it to `path`. An existing folder
 * at `path` is replaced only after the new one is complete.
 */
export function writeFolderAtomic(path: string, fill: (tmpDir: string) => void): void {
  let tmp: string | null = null;
  try {
    mkdirSync(dirname(path), { recursive: true });
    clearStaleTemporaries(path);
    tmp = temporarySibling(path);
    mkdirSync(tmp);
    fill(tmp);
    syncFolder(tmp);
    if (existsSync(path)) {
      const old = tmp + '-old';
      renameSync(path, old);
      renameSync(tmp, path);
      tmp = null;
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, path);
      tmp = null;
    }
    syncFolder(dirname(path));
  } catch (e) {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
    // A file inside the temporary folder failed: name it where it would have been.
    if (e instanceof OutputWriteError && tmp !== null && e.path.startsWith(tmp + sep))
      throw new OutputWriteError(join(path, relative(tmp, e.path)), e.code, e);
    throw asWriteError(path, e);
  }
}

/** A view of a typed array's bytes, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
