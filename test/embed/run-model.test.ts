// How a run reads new MIDI files: loadRunModel takes the instrument policy and pedal rule from the index.json
// of the shards it trained on (an index without a policy, or none at hand, means 'all', as every model made
// before the choice read), and embedding reads files that way and records it in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { embedDataset } from '../../src/embed/embed-dataset.js';
import { makePreparer } from '../../src/embed/prepare.js';
import { loadRunModel, type RunModel } from '../../src/run/run-model.js';
import { exportModel } from '../../src/train/export.js';
import { openStore } from '../../src/embed/store.js';
import { BAND_DRUMS, BAND_PIANO, BAND_VIOLIN, bandFile } from '../helpers/band.js';
import { writeMixedDataset } from '../helpers/mixed-dataset.js';
import { writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

test("a run reads files the way its shards were read: 'piano' when index.json says so, 'all' without a record", async () => {
  const root = tempDir('run-reading');
  const data = join(root, 'data');
  const ids = writeMixedDataset(data, 2);
  writeFileSync(join(data, 'band.mid'), bandFile());
  const runDir = join(root, 'run');
  writeTinyRun(data, ids, runDir);
  const shards = `${runDir}-no-shards`; // where writeTinyRun's run says its shards are
  const band = join(data, 'band.mid');
  const notesOf = (run: RunModel): number =>
    makePreparer({ tokenizerJson: run.tokenizerJson, sustain: run.sustain, instruments: run.instruments })({
      path: band,
      name: 'band.mid',
    }).notes;

  const unrecorded = loadRunModel(runDir, 'epoch-1');
  assert.deepEqual([unrecorded.instruments, unrecorded.sustain], ['all', 'musical'], 'no index at hand');
  assert.equal(notesOf(unrecorded), BAND_PIANO.length + BAND_DRUMS.length + BAND_VIOLIN.length);

  mkdirSync(shards);
  writeFileSync(join(shards, 'index.json'), JSON.stringify({ format: 'motif-shards', sustain: 'reference' }));
  const old = loadRunModel(runDir, 'epoch-1');
  assert.deepEqual([old.instruments, old.sustain], ['all', 'reference'], 'an index from before the choice');

  writeFileSync(
    join(shards, 'index.json'),
    JSON.stringify({ format: 'motif-shards', sustain: 'musical', instruments: 'piano' }),
  );
  const piano = loadRunModel(runDir, 'epoch-1');
  assert.equal(piano.instruments, 'piano');
  assert.equal(notesOf(piano), BAND_PIANO.length);

  const store = join(root, 'store');
  const items = openDataset(data).items.filter((i) => !i.id.startsWith('bad/'));
  await embedDataset(piano, items, { out: store, workers: 0 });
  const opened = await openStore(store);
  assert.equal(opened.info.source.instruments, 'piano');
  const rows = await opened.all();
  assert.equal(rows.find((r) => r.id === 'band.mid')?.notes, BAND_PIANO.length);

  // An export keeps the reading: away from its shards it still reads 'piano', not the no-record default.
  const exported = join(root, 'exported');
  exportModel(runDir, join(runDir, 'snapshots', 'epoch-0001'), exported);
  rmSync(shards, { recursive: true });
  assert.deepEqual(loadRunModel(runDir, 'epoch-1').instruments, 'all', 'the run itself, its shards gone');
  const fromExport = loadRunModel(exported);
  assert.deepEqual([fromExport.instruments, fromExport.sustain], ['piano', 'musical']);
  assert.equal(notesOf(fromExport), BAND_PIANO.length);
});
