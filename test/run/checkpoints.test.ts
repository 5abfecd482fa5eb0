import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointStore, commitDir, removeStale } from '../../src/run/checkpoints.js';
import { checkpointName } from '../../src/run/layout.js';
import { tempDir } from '../helpers/temp-dir.js';

const fresh = (): string => tempDir('ckpt');

test('a crash between writing and renaming leaves the previous checkpoint intact and is cleaned on open', () => {
  const run = fresh();
  const store = new CheckpointStore(run);
  store.commit(10, (dir) => writeFileSync(join(dir, 'model.bin'), 'step ten'));
  assert.throws(
    () =>
      store.commit(20, (dir) => {
        writeFileSync(join(dir, 'model.bin'), 'half of step twen');
        throw new Error('killed');
      }),
    /killed/,
  );
  assert.deepEqual(store.steps(), [10]);
  assert.equal(store.latest(), join(store.dir, checkpointName(10)));
  assert.equal(readFileSync(join(store.latest()!, 'model.bin'), 'utf8'), 'step ten');
  // The leftover temporary folder is what a kill -9 would leave; reopening removes it.
  assert.equal(readdirSync(store.dir).filter((n) => n.startsWith('.tmp-')).length, 1);
  const reopened = new CheckpointStore(run);
  assert.equal(reopened.cleanStale().length, 1);
  assert.deepEqual(readdirSync(reopened.dir), [checkpointName(10)]);
});

test('rotation keeps the newest K and always the best', () => {
  const store = new CheckpointStore(fresh());
  for (const step of [1, 2, 3, 4, 5, 6]) {
    store.commit(step, (dir) => writeFileSync(join(dir, 'x'), String(step)));
    if (step === 2) store.setBest(2, 1.5);
    store.rotate(2);
  }
  assert.deepEqual(store.steps(), [2, 5, 6]);
  assert.equal(store.best()?.step, 2);
  assert.equal(store.best()?.valLoss, 1.5);
});

test('a committed folder is not rewritten, and removeStale clears temporaries', () => {
  const run = fresh();
  const store = new CheckpointStore(run);
  store.commit(3, (dir) => writeFileSync(join(dir, 'x'), 'first'));
  store.commit(3, () => assert.fail('an existing checkpoint must not be written again'));
  assert.equal(readFileSync(join(store.path(3), 'x'), 'utf8'), 'first');
  const snap = join(run, 'snapshots', 'epoch-0001');
  assert.throws(() =>
    commitDir(snap, () => {
      throw new Error('killed');
    }),
  );
  assert.ok(!existsSync(snap));
  assert.deepEqual(removeStale(join(run, 'snapshots')).length, 1);
  commitDir(snap, (dir) => writeFileSync(join(dir, 'y'), 'ok'));
  assert.deepEqual(readdirSync(join(run, 'snapshots')), ['epoch-0001']);
});

test('a kill -9 while a checkpoint is deleted leaves it whole or gone, never half-deleted', async () => {
  // Many files make a plain recursive delete take tens of milliseconds, so kills land inside it.
  const files = 3000;
  for (let round = 0; round < 6; round++) {
    const store = new CheckpointStore(fresh());
    store.commit(5, (dir) => {
      for (let i = 0; i < files; i++) writeFileSync(join(dir, `part-${i}`), 'x');
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run/fixtures/remove-dir.ts', store.path(5)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exit = new Promise((res) => child.on('exit', res));
    await new Promise((res) => child.stdout.once('data', res));
    await sleep(round * 4);
    child.kill('SIGKILL');
    await exit;
    store.cleanStale();
    if (store.steps().includes(5)) assert.equal(readdirSync(store.path(5)).length, files, `round ${round}`);
    assert.deepEqual(
      readdirSync(store.dir).filter((n) => n.startsWith('.tmp-')),
      [],
    );
  }
});
