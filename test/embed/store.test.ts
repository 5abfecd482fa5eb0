// The LanceDB embedding store: rows round-trip, nearest() against a brute-force cosine ranking (with and
// without a metadata filter), the ANN-indexed path's distances, and clear errors.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { cosine } from '../../src/analysis/metrics.js';
import * as lancedb from '@lancedb/lancedb';
import { createStore, openStore, StoreWriter, type EmbeddingRow, type WindowRow } from '../../src/embed/store.js';
import { Rng } from '../../src/util/rng.js';
import { rankByBestWindow } from '../helpers/best-window.js';
import { expectClose } from '../helpers/close.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('store');

function rows(n: number, dim: number, seed: number): EmbeddingRow[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i % 3}/p${i}.mid`,
    vector: Float32Array.from({ length: dim }, () => r.nextFloat() - 0.5),
    composer: ['Bach', "O'Neill", 'Liszt'][i % 3],
    title: i % 4 ? `Work ${i}` : null,
    piece: `w${i >> 1}`,
    performer: null,
    file: `/data/p${i}.mid`,
    split: i % 5 === 0 ? 'test' : 'train',
    key: 'C major',
    keySource: 'notes',
    form: 'other',
    duration: i + 0.5,
    notes: 10 * i,
    tokens: 7 * i,
  }));
}

function bruteForce(all: readonly EmbeddingRow[], q: Float32Array, k: number): Array<{ id: string; distance: number }> {
  return all
    .map((r) => ({ id: r.id, distance: 1 - cosine(q, r.vector) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

test('a store records its paths relative to itself: it moves with its data and holds no machine path', async () => {
  const home = join(root, 'home');
  const data = rows(4, 6, 3).map((r, i) => ({ ...r, file: join(home, 'data', `p${i}.mid`) }));
  await createStore(join(home, 'store'), data, {
    source: {
      run: join(home, 'run'),
      checkpoint: join(home, 'run', 'snapshots', 'epoch-0001'),
      dataset: join(home, 'data'),
      window: 8,
    },
  });
  assert.doesNotMatch(
    readFileSync(join(home, 'store', 'store.json'), 'utf8'),
    new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    'no absolute path in store.json',
  );
  const moved = join(root, 'moved');
  renameSync(home, moved);
  const store = await openStore(join(moved, 'store'));
  assert.deepEqual(store.info.source, {
    run: join(moved, 'run'),
    checkpoint: join(moved, 'run', 'snapshots', 'epoch-0001'),
    dataset: join(moved, 'data'),
    window: 8,
  });
  assert.deepEqual(
    (await store.all()).map((r) => r.file),
    data.map((_, i) => join(moved, 'data', `p${i}.mid`)),
  );
  assert.equal((await store.nearest(data[1].vector, 1))[0].row.file, join(moved, 'data', 'p1.mid'));
});

test('rows round-trip and nearest() matches a brute-force cosine ranking, filters included', async () => {
  const data = rows(60, 12, 1);
  const path = join(root, 'exact');
  await createStore(path, data, { source: { run: 'r' } });
  assert.deepEqual(
    readdirSync(root).filter((n) => n.startsWith('.tmp')),
    [],
    'no temporary folder left',
  );
  const store = await openStore(path);
  assert.equal(store.info.index, 'exact');
  assert.deepEqual(store.info.source, { run: resolve('r') }, 'paths come back resolved');
  assert.equal(await store.count(), 60);
  const back = await store.all();
  assert.deepEqual(
    back.map((r) => ({ ...r, vector: [...r.vector] })),
    data.map((r) => ({ ...r, vector: [...r.vector] })),
  );
  assert.deepEqual((await store.get(data[7].id))?.title, data[7].title);
  assert.equal(await store.get('nope'), undefined);

  for (const q of [data[0].vector, data[33].vector, rows(1, 12, 9)[0].vector]) {
    const got = await store.nearest(q, 5);
    const want = bruteForce(data, q, 5);
    assert.deepEqual(
      got.map((h) => h.row.id),
      want.map((h) => h.id),
    );
    expectClose(
      got.map((h) => h.distance),
      want.map((h) => h.distance),
      { atol: 1e-5, label: 'distances' },
    );
    // A filter value with a quote is escaped, not injected.
    const filtered = await store.nearest(q, 4, { composer: "O'Neill", split: 'train' });
    const wantFiltered = bruteForce(
      data.filter((r) => r.composer === "O'Neill" && r.split === 'train'),
      q,
      4,
    );
    assert.deepEqual(
      filtered.map((h) => h.row.id),
      wantFiltered.map((h) => h.id),
    );
  }
});

test('the ANN-indexed store returns true cosine distances in ascending order', async () => {
  const data = rows(600, 16, 2);
  const store = await createStore(join(root, 'indexed'), data, { indexMinRows: 1 });
  assert.equal(store.info.index, 'ivf_hnsw_sq');
  const byId = new Map(data.map((r) => [r.id, r.vector]));
  const q = data[5].vector;
  const got = await store.nearest(q, 10);
  assert.equal(got.length, 10);
  assert.equal(got[0].row.id, data[5].id, 'a stored vector finds itself first');
  for (let i = 0; i < got.length; i++) {
    expectClose(got[i].distance, 1 - cosine(q, byId.get(got[i].row.id)!), { atol: 1e-4, label: `distance ${i}` });
    if (i > 0) assert.ok(got[i].distance >= got[i - 1].distance);
  }
  const want = new Set(bruteForce(data, q, 10).map((h) => h.id));
  assert.ok(got.filter((h) => want.has(h.row.id)).length >= 5, 'recall@10 of at least one half on 600 rows');
});

test('clear errors: existing folder, empty rows, ragged vectors, not a store, wrong query size', async () => {
  const path = join(root, 'exact2');
  await createStore(path, rows(3, 4, 3));
  await assert.rejects(createStore(path, rows(3, 4, 3)), /already exists/);
  const replaced = await createStore(path, rows(5, 4, 4), { overwrite: true });
  assert.equal(await replaced.count(), 5);
  await assert.rejects(createStore(join(root, 'none'), []), /no embeddings/);
  const ragged = rows(3, 4, 5);
  ragged[1].vector = new Float32Array(3);
  await assert.rejects(createStore(join(root, 'ragged'), ragged), /c1\/p1\.mid: embedding has 3 dimensions/);
  assert.equal(existsSync(join(root, 'ragged')), false);
  await assert.rejects(openStore(root), /not an embedding store/);
  await assert.rejects(replaced.nearest(new Float32Array(5), 1), /5 dimensions, the store 4/);
});

test('--overwrite replaces only a store motif made: a folder of MIDI files or a file at --out is refused and kept', async () => {
  const dataset = join(root, 'dataset');
  mkdirSync(join(dataset, 'Bach'), { recursive: true });
  writeFileSync(join(dataset, 'Bach', 'a.mid'), 'MThd...');
  await assert.rejects(
    createStore(dataset, rows(3, 4, 3), { overwrite: true }),
    /dataset: is not an embedding store motif made .*nothing was deleted/,
  );
  assert.deepEqual(readdirSync(join(dataset, 'Bach')), ['a.mid']);
  // An unfinished store's folder that is not motif's is refused the same way.
  mkdirSync(`${dataset}2.partial`);
  writeFileSync(join(`${dataset}2.partial`, 'thesis.tex'), '\\documentclass{article}');
  await assert.rejects(
    createStore(`${dataset}2`, rows(3, 4, 3), { overwrite: true }),
    /dataset2\.partial: is not an embedding store/,
  );
  assert.ok(existsSync(join(`${dataset}2.partial`, 'thesis.tex')));
  const file = join(root, 'notes.txt');
  writeFileSync(file, 'mine');
  await assert.rejects(createStore(file, rows(3, 4, 3), { overwrite: true }), /is a file, not an embedding store/);
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  // An empty folder is fine to fill.
  mkdirSync(join(root, 'empty'));
  assert.equal(await (await createStore(join(root, 'empty'), rows(3, 4, 3), { overwrite: true })).count(), 3);
});

test('one writer per store: a second writer of an unfinished store is refused; the finished store holds no lock', async () => {
  const path = join(root, 'locked');
  const writer = await StoreWriter.open(path, { source: { run: 'r' } });
  await writer.add(rows(4, 8, 5));
  await assert.rejects(StoreWriter.open(path, { source: { run: 'r' }, resume: true }), (err: Error) =>
    err.message.startsWith(`${path}.partial: in use by process ${process.pid}`),
  );
  await assert.rejects(StoreWriter.open(path, { overwrite: true }), /in use by process/);
  assert.ok(existsSync(`${path}.partial`), 'the refused overwrite removed nothing');
  await writer.finish();
  assert.equal(existsSync(join(path, '.lock')), false);
  assert.equal((await (await openStore(path)).all()).length, 4);
});

test('a damaged store table is reported with the store folder and the way out, without the library build paths', async () => {
  const path = join(root, 'damaged');
  await createStore(path, rows(5, 4, 9));
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  const data = walk(path).filter((f) => f.endsWith('.lance') && f.includes(`${join('embeddings.lance', 'data')}`));
  assert.ok(data.length > 0, 'the table has data files');
  for (const f of data) writeFileSync(f, 'garbage');
  await assert.rejects(
    async () => (await openStore(path)).all(),
    (err: Error) =>
      err.message.startsWith(`${path}: the embedding table is damaged`) &&
      err.message.includes('--overwrite') &&
      !/rustc|\.cargo|\.rs:/.test(err.message),
  );
});

/** Windows for pieces: 1 + i % 3 windows of piece i, each a random vector. */
function windowsOf(pieces: readonly EmbeddingRow[], dim: number, seed: number): WindowRow[] {
  const r = new Rng(seed);
  return pieces.flatMap((p, i) =>
    Array.from({ length: 1 + (i % 3) }, (_, w) => ({
      id: p.id,
      start: 100 * w,
      end: 100 * w + 128,
      seconds: 12.5 * w,
      vector: Float32Array.from({ length: dim }, () => r.nextFloat() - 0.5),
    })),
  );
}

test('windows round-trip; nearestByWindow ranks pieces by their best window, as brute force does, filters included', async () => {
  const data = rows(40, 8, 11);
  const windows = windowsOf(data, 8, 12);
  const writer = await StoreWriter.open(join(root, 'windows'));
  await writer.add(
    data.slice(0, 25),
    windows.filter((w) => data.slice(0, 25).some((p) => p.id === w.id)),
  );
  await writer.add(
    data.slice(25),
    windows.filter((w) => data.slice(25).some((p) => p.id === w.id)),
  );
  const store = await writer.finish();
  assert.equal(store.info.windows, windows.length);
  const plainRows = (ws: readonly WindowRow[]) =>
    ws
      .map((w) => ({ ...w, vector: [...w.vector] }))
      .sort((a, b) => (`${a.id}@${a.start}` < `${b.id}@${b.start}` ? -1 : 1));
  assert.deepEqual(plainRows(await store.windows()), plainRows(windows));
  assert.deepEqual(
    (await store.windows([data[4].id])).map((w) => w.start),
    [0, 100],
    "one piece's windows, in order",
  );
  const best = (q: Float32Array, keep: (p: EmbeddingRow) => boolean) =>
    rankByBestWindow(
      q,
      data.filter(keep).map((p) => p.id),
      windows,
    );
  for (const q of [windows[7].vector, rows(1, 8, 13)[0].vector]) {
    for (const [k, filter, keep] of [
      [6, {}, () => true],
      [40, {}, () => true],
      [3, { composer: "O'Neill" }, (p: EmbeddingRow) => p.composer === "O'Neill"],
    ] as const) {
      const got = await store.nearestByWindow(q, k, filter);
      const want = best(q, keep).slice(0, k);
      assert.deepEqual(
        got.map((h) => [h.row.id, h.window.start, h.window.seconds]),
        want.map((h) => [h.id, h.start, h.seconds]),
      );
      expectClose(
        got.map((h) => h.distance),
        want.map((h) => h.distance),
        { atol: 1e-5, label: 'best-window distances' },
      );
    }
  }
  assert.deepEqual(await store.nearestByWindow(data[0].vector, 3, { split: 'nowhere' }), []);
  const plain = await createStore(join(root, 'no-windows'), data);
  assert.equal(plain.info.windows, 0);
  await assert.rejects(plain.nearestByWindow(data[0].vector, 3), /keeps no window vectors .*motif embed --overwrite/);
});

test('a resumed store drops the windows an interrupted add wrote without their piece', async () => {
  const path = join(root, 'windows-resume');
  const data = rows(6, 4, 21);
  const windows = windowsOf(data, 4, 22);
  const first = await StoreWriter.open(path, { source: { run: 'r' } });
  await first.add(
    data.slice(0, 3),
    windows.filter((w) => data.slice(0, 3).some((p) => p.id === w.id)),
  );
  first.abandon();
  // As if killed between the windows and the pieces of the next add: piece 3's windows are in, piece 3 is not.
  const db = await lancedb.connect(`${path}.partial`);
  await (
    await db.openTable('windows')
  ).add(windows.filter((w) => w.id === data[3].id).map((w) => ({ ...w, vector: Array.from(w.vector) })));
  db.close();
  const resumed = await StoreWriter.open(path, { source: { run: 'r' }, resume: true });
  assert.deepEqual(
    [...resumed.done].sort(),
    data
      .slice(0, 3)
      .map((p) => p.id)
      .sort(),
  );
  await resumed.add(
    data.slice(3),
    windows.filter((w) => data.slice(3).some((p) => p.id === w.id)),
  );
  const store = await resumed.finish();
  assert.equal(store.info.windows, windows.length, "piece 3's windows once, not twice");
  assert.equal((await store.windows()).length, windows.length);
});
