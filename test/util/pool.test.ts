// The worker pool: results per task, a task's error stays its own, a crashed worker is replaced,
// and a worker script that cannot load fails every task instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, workerScript } from '../../src/util/pool.js';

const script = new URL('./fixtures/pool-worker.ts', import.meta.url);

test('workerScript picks the extension its caller runs from', () => {
  assert.equal(workerScript('file:///x/src/data/encode.ts', 'w').href, 'file:///x/src/data/w.ts');
  assert.equal(workerScript('file:///x/dist/data/encode.js', 'w').href, 'file:///x/dist/data/w.js');
});

test('tasks get their own results and errors; a crash fails one task and the pool goes on', async () => {
  const pool = new WorkerPool<number, unknown>(script, { hello: 'data' }, 2);
  try {
    const inputs = [1, 2, 3, 4, -1, 5, 0, 6];
    const settled = await Promise.allSettled(inputs.map((n) => pool.run(n)));
    const view = settled.map((s) => (s.status === 'fulfilled' ? s.value : `error: ${(s.reason as Error).message}`));
    assert.deepEqual(view, [
      2,
      4,
      'error: three is not allowed',
      8,
      'error: worker exited with code 7',
      10,
      { hello: 'data' },
      12,
    ]);
    assert.equal(await pool.run(21), 42);
  } finally {
    await pool.close();
  }
});

test('a worker script that cannot load rejects every task', async () => {
  const pool = new WorkerPool<number, number>(new URL('./fixtures/no-such-worker.ts', import.meta.url), null, 2);
  try {
    const settled = await Promise.allSettled([1, 2, 3].map((n) => pool.run(n)));
    assert.ok(settled.every((s) => s.status === 'rejected'));
  } finally {
    await pool.close();
  }
});
