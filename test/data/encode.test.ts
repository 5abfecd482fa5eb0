// encodeItems on a worker pool: results in input order, and each file's ids free once the caller has moved past it
// (a pool run holding every result until the end would need the whole corpus's ids in memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openDataset } from '../../src/data/dataset.js';
import { encodeItems } from '../../src/data/encode.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const items = openDataset(fileURLToPath(new URL('../../data/default', import.meta.url)), { ignoreMetadata: true }).items;
const spec = { scheme: 'exptime', sustain: 'musical', instruments: 'piano' } as const;

test('pooled results come in input order, and the ids of files already taken can be collected', async () => {
  const refs: Array<WeakRef<Int32Array>> = [];
  const order: string[] = [];
  let alive = -1;
  for await (const r of encodeItems(items, spec, { workers: 2 })) {
    assert.ok(r.ok, r.ok ? '' : r.error);
    order.push(r.item.id);
    refs.push(new WeakRef(r.ids));
    if (order.length === items.length - 1) {
      // WeakRefs made in this job hold their targets until it ends: wait a turn of the event loop, then collect.
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
      alive = refs.slice(0, -1).filter((w) => w.deref() !== undefined).length;
    }
  }
  assert.deepEqual(order, items.map((item) => item.id));
  assert.ok(items.length > 40, 'enough files to see it');
  assert.equal(alive, 0, `${alive} of ${items.length - 2} earlier files' ids are still held`);
});
