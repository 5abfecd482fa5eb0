// Atomic file writes: temp file, fsync, rename. Readers see the old file or the whole new one, never half of one.
// Not a file-locking scheme: two writers of the same path still race (the last rename wins; see dir-lock.ts).
// Output paths come from users, so a failure says which path and why in words, and leaves no temp file.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** What an fs error code means for an output path, in words. */
function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EEXIST: 'a file is in the way of a folder on the path',
    ENOTDIR: 'a file is in the way of a folder on the path',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ENOENT: 'its folder cannot be created or written',
  };
  return (code && words[code]) ?? (err as Error).message;
}

/** Creates the folder `dir` (and its parents), or throws naming it and why it cannot be. */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new Error(`${dir}: cannot create this folder (${why(err)})`, { cause: err });
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, not a folder`);
}

/** Writes `bytes` to `path` atomically, creating missing parent folders (the temp file sits beside it, so the rename stays on one file system). */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new Error(`${path}: is a folder; give the path of a file to write`);
  ensureDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(fd, bytes, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`${path}: cannot write (${why(err)})`, { cause: err });
  }
}
