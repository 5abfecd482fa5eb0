// The shared ASAP corpus (../shared/data/asap beside the project) for tests that read real performances:
// where it is, the skip reason where it is not (visible in the test output), and its MIDI files.
// Not a dataset reader: tests that need splits or metadata use src/data/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The ASAP folder, with a trailing slash. */
export const ASAP = fileURLToPath(new URL('../../../shared/data/asap/', import.meta.url));

/** `{ skip }` for a test that needs ASAP: false where it is present, else why the test is skipped. */
export const skipWithoutAsap: false | string = existsSync(ASAP) ? false : `no ASAP data at ${ASAP}`;

/** Every .mid/.midi file below `dir`, in sorted path order. */
export function midiFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return midiFiles(p);
      return /\.midi?$/i.test(name) ? [p] : [];
    });
}
