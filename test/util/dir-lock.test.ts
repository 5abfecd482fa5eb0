// The folder lock: one holder at a time, a clear refusal naming the holder, and a lock left by a
// process that is gone taken over rather than stuck.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE, lockDir } from '../../src/util/dir-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const fresh = (): string => tempDir('lock');

test('a held lock refuses a second taker, naming the folder and the holder; released, it can be taken again', () => {
  const dir = fresh();
  const release = lockDir(dir);
  assert.throws(
    () => lockDir(dir),
    (err: Error) =>
      err.message.startsWith(dir) &&
      err.message.includes(`process ${process.pid} on ${hostname()}`) &&
      err.message.includes(LOCK_FILE),
  );
  release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lockDir(dir)();
});

test('a lock whose process is gone (kill -9) is taken over; one held on another host is not', () => {
  const dir = fresh();
  const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid; // has exited by now
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00Z' }));
  lockDir(dir)();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: 'elsewhere', since: '2026-01-01T00:00:00Z' }));
  assert.throws(() => lockDir(dir), /in use by process \d+ on elsewhere/);
});
