// A lock on a folder motif writes for a long time (a training run, an embedding store), so that two
// processes never write one folder at once (two `train --resume` on one run would both train and
// interleave their records). The lock is `<dir>/.lock`, created exclusively (O_EXCL), holding the
// owner's pid and host. A lock left by a process that is gone (kill -9, a crash, a reboot) is taken
// over as soon as that is certain: same host, and no process with that pid.
// Why not a heartbeat lock (proper-lockfile and the like): those refresh a timestamp from a timer, and a
// training step or native batch holds the event loop for seconds, so the lock would look abandoned to
// others (or be reported compromised) while its owner is busy. A pid check needs no timer.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // vanished, or cut short by a kill while being written
  }
}

/**
 * Takes the lock of `dir` (which must exist) for this process, or throws naming the folder and the
 * process that holds it. Returns the release function; the lock is also released when the process exits.
 */
export function lockDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(
          fd,
          JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies LockOwner) +
            '\n',
        );
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`${path}: cannot create the lock: ${(err as Error).message}`, { cause: err });
      const owner = readOwner(path);
      const abandoned = owner === undefined || (owner.host === hostname() && !alive(owner.pid));
      if (!abandoned || attempt > 0) {
        const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another process';
        throw new Error(
          `${dir}: in use by ${who}; wait for it to end, or, if no such process is running, delete ${path}`,
          { cause: err },
        );
      }
      rmSync(path, { force: true }); // left by a process that is gone: take it over
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (existsSync(path) && readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return release;
}
