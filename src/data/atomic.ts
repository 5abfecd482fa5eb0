// Atomic file writes: temp file, fsync, rename. Readers see the old file or the whole new one, never half of one.
// Not a file-locking scheme: two writers of the same path still race (the last rename wins).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `bytes` to `path` atomically, creating missing parent folders (the temp file sits beside it, so the rename stays on one file system). */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
