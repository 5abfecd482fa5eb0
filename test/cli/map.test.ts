// `motif map` end to end through run(): from a real LanceDB store, and over training from a run with real
// snapshots of the native model (embeddings checked against embedding each file on its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { writeTokenizer } from '../../src/data/tokenizer-file.js';
import { embedNotes } from '../../src/embed/extract.js';
import { createStore, type EmbeddingRow } from '../../src/embed/store.js';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { Transformer } from '../../src/model/transformer.js';
import { pickSnapshots } from '../../src/report/map-snapshots.js';
import { listSnapshots } from '../../src/run/checkpoints.js';
import { embedSnapshots } from '../../src/embed/embed-snapshots.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { resolveTrainOptions } from '../../src/run/train-options.js';
import { createRunDir } from '../../src/run/config.js';
import { MODEL_FILE, snapshotName } from '../../src/run/layout.js';
import { BAD_FILES, writeMixedDataset } from '../helpers/mixed-dataset.js';
import { motif } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The data block of an interactive map page. */
function pageData(htmlPath: string): { items: string[][]; panels: Array<{ title: string; xy: number[] }> } {
  const html = readFileSync(htmlPath, 'utf8');
  return JSON.parse(/<script type="application\/json" id="map-data">(.*?)<\/script>/s.exec(html)![1]);
}

const root = tempDir('map-cli');

test('motif map --store: one projection, one SVG and page per colouring, clusters kept with their labels', async () => {
  const composers = ['Bach', 'Chopin', 'Liszt'];
  const dim = 16;
  let s = 7;
  const noise = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  // Three tight clusters, one per composer, interleaved in row order so a misaligned row/point pairing shows.
  const rows: EmbeddingRow[] = Array.from({ length: 36 }, (_, i) => {
    const c = i % 3;
    return {
      id: `p${i}.mid`,
      vector: Float32Array.from({ length: dim }, (_, d) => (d % 3 === c ? 1 : 0) + noise()),
      composer: composers[c],
      title: `Work ${i}`,
      piece: `w${i >> 1}`,
      performer: `P${i % 5}`,
      file: `/x/p${i}.mid`,
      split: i < 24 ? 'train' : 'test',
      key: null,
      keySource: null,
      form: 'other',
      duration: 60,
      notes: 100,
      tokens: 50,
    };
  });
  const store = join(root, 'store');
  await createStore(store, rows);
  const prefix = join(root, 'maps', 'm');
  const r = await motif('map', '--store', store, '--color', 'composer,split', '--out', prefix, '--json');
  assert.equal(r.code, 0, r.err);
  const files = JSON.parse(r.out) as Array<{ color: string; svg: string; html: string }>;
  assert.deepEqual(
    files.map((f) => [f.color, f.svg, f.html]),
    ['composer', 'split'].map((c) => [c, `${prefix}-${c}.svg`, `${prefix}-${c}.html`]),
  );
  for (const f of files) assert.ok(existsSync(f.svg) && existsSync(f.html));

  const page = pageData(files[0].html);
  assert.deepEqual(
    page.items.map((it) => [it[0], it[1]]),
    rows.map((row) => [row.id, row.composer]),
  );
  const xy = page.panels[0].xy;
  // Every point's nearest neighbour on the map is of its own composer: the projection saw the right vectors.
  for (let i = 0; i < rows.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < rows.length; j++) {
      const d = j === i ? Infinity : (xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    assert.equal(rows[best].composer, rows[i].composer, `nearest neighbour of ${rows[i].id}`);
  }
  // Both colourings share the projection.
  assert.deepEqual(pageData(files[1].html).panels, page.panels);

  const test = await motif(
    'map',
    '--store',
    store,
    '--split',
    'test',
    '--method',
    'umap',
    '--out',
    join(root, 'maps', 't'),
    '--json',
  );
  assert.equal(test.code, 0, test.err);
  assert.deepEqual(
    pageData(join(root, 'maps', 't.html')).items.map((it) => it[0]),
    rows.filter((row) => row.split === 'test').map((row) => row.id),
  );
});

test('motif map: clear usage errors', async () => {
  const none = await motif('map');
  assert.equal(none.code, 1);
  assert.match(none.err, /needs --store/);
  const missing = await motif('map', '--store', join(root, 'nowhere'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nowhere: not an embedding store/);
  const colour = await motif('map', '--store', root, '--color', 'mood');
  assert.equal(colour.code, 1);
  assert.match(colour.err, /choose from composer, key, form, split/);
  const half = await motif('map', '--over-training', '--run', root);
  assert.equal(half.code, 1);
  assert.match(half.err, /needs --run <dir> and --data <dataset>/);
});

test('motif map --over-training: each snapshot embeds the dataset, panels first/middle/last, bad files skipped', async () => {
  const data = join(root, 'data');
  const good = writeMixedDataset(data, 5);
  const notes = good.map((id) => applySustain(readMidi(readFileSync(join(data, id)), id), { rule: 'musical' }));
  const tokenizer = MidiTokenizer.train(createScheme('exptime', {}), notes, { vocabSize: 400 });
  const tokPath = join(root, 'tokenizer.json');
  writeTokenizer(tokenizer, tokPath);
  const runDir = join(root, 'run');
  createRunDir(runDir, {
    data: join(root, 'no-shards'),
    preset: 'tiny',
    model: {},
    train: resolveTrainOptions({}),
    tokenizer: { path: tokPath, sha256: createHash('sha256').update(readFileSync(tokPath)).digest('hex') },
  });
  const config = { vocabSize: tokenizer.vocabSize, maxLen: 64, dModel: 32, nLayers: 2, nHeads: 2, dFF: 64, dropout: 0 };
  for (const epoch of [0, 2, 3, 6]) {
    const dir = join(runDir, 'snapshots', snapshotName(epoch));
    mkdirSync(dir, { recursive: true });
    Transformer.create(config, 100 + epoch).save(join(dir, MODEL_FILE), { optimizer: false });
  }

  const r = await motif('map', '--over-training', '--run', runDir, '--data', data, '--color', 'composer', '--json');
  assert.equal(r.code, 2, 'bad files were skipped');
  for (const bad of Object.keys(BAD_FILES)) assert.ok(r.err.includes(bad), `stderr names ${bad}`);
  const [files] = JSON.parse(r.out) as Array<{ svg: string; html: string }>;
  assert.equal(files.html, join(runDir, 'maps', 'over-training-tsne.html'));
  const page = pageData(files.html);
  assert.deepEqual(
    page.panels.map((p) => p.title),
    ['epoch 0 (before training)', 'epoch 3', 'epoch 6'],
  );
  assert.deepEqual(
    page.items.map((it) => it[0]),
    good,
  );
  for (const p of page.panels) assert.equal(p.xy.length, 2 * good.length);
  assert.ok(
    readFileSync(join(runDir, 'report.html'), 'utf8').includes(readFileSync(files.svg, 'utf8')),
    'the run report shows the new map',
  );

  // The vectors behind the panels: each snapshot's model embedding each file on its own.
  const snaps = pickSnapshots(listSnapshots(runDir));
  const items = openDataset(data).items;
  const got = await embedSnapshots(runDir, snaps, items, () => ({ tick: () => undefined, stop: () => undefined }));
  assert.equal(got.failures.length, Object.keys(BAD_FILES).length);
  snaps.forEach((snap, k) => {
    const model = Transformer.load(join(snap.dir, MODEL_FILE));
    good.forEach((id, i) => {
      const want = embedNotes(model, tokenizer, notes[i]);
      const diff = Math.max(...want.map((w, c) => Math.abs(w - got.sets[k][i][c])));
      assert.ok(diff < 1e-5, `epoch ${snap.epoch}, ${id}: differs by ${diff}`);
    });
  });
  assert.ok(Math.abs(got.sets[0][0][0] - got.sets[2][0][0]) > 1e-6, 'different snapshots give different vectors');
});
