// Temporary folders for tests, removed when the test file's process exits (node --test runs each file in a
// process of its own): whichever test made one, at the top of a file or inside a helper, and however the
// file ends, nothing is left in the OS temp folder. Not for a folder a test must see removed: do that itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A new empty folder `motif-<name>-XXXXXX` in the OS temp folder, removed when this process exits. */
export function tempDir(name: string): string {
  if (made.length === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), `motif-${name}-`));
  made.push(dir);
  return dir;
}

// Synchronous, as 'exit' listeners must be; a folder that will not go stays rather than failing a file
// whose tests passed.
function removeAll(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // left in the temp folder
    }
  }
}
