// Test helper: runs the `motif` CLI in this process through run(), capturing stdout, stderr and the exit code.
// Not a test itself (no .test.ts): CLI tests of every folder import it instead of repeating it.
import { run } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/output.js';

/** What one CLI run printed and returned. */
export interface MotifRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `motif ...args` with output captured and progress bars off. */
export async function motif(...args: string[]): Promise<MotifRun> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), progress: false };
  const code = await run(['node', 'motif', ...args], io);
  return { code, out, err };
}
