// Runs the `motif` CLI in-process through run() with captured output, for tests of verbs.
// Not a process spawner: tests that need the real entry point spawn bin/motif.js themselves.
import { run } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/output.js';

/** `motif ...args`: the exit code and everything written to stdout and stderr (no progress bars). */
export async function motif(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), progress: false };
  const code = await run(['node', 'motif', ...args], io);
  return { code, out, err };
}
