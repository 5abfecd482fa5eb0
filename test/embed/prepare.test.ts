// Preparing files for embedding: the random excerpt (inside the piece, clipped, shifted, seeded), and
// worker threads giving exactly what the main thread gives, bad files named and kept in order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { handcraftedVector } from '../../src/analysis/handcrafted.js';
import { openDataset } from '../../src/data/dataset.js';
import { writeTokenizer } from '../../src/data/tokenizer-file.js';
import { excerptOf, prepareItems, type PrepareSpec } from '../../src/embed/prepare.js';
import { notesToArray } from '../../src/midi/notes.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { Rng } from '../../src/util/rng.js';
import { BAD_FILES, randomNotes, writeMixedDataset } from '../helpers/mixed-dataset.js';
import { readNotes } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('prepare');

test('an excerpt is the notes starting inside a window of the piece, clipped and shifted to 0', () => {
  const notes = randomNotes(4, 300); // about 60 s
  const all = notesToArray(notes);
  const last = Math.max(...all.map((n) => n.end));
  for (const seed of [1, 2, 3]) {
    const { start, notes: ex } = excerptOf(notes, 15, new Rng(seed));
    assert.ok(start >= all[0].start && start <= last - 15, `start ${start}`);
    const want = all
      .filter((n) => n.start >= start && n.start < start + 15)
      .map((n) => ({ ...n, start: n.start - start, end: Math.min(n.end, start + 15) - start }));
    assert.deepEqual(notesToArray(ex), want);
    assert.equal(excerptOf(notes, 15, new Rng(seed)).start, start, 'same seed, same excerpt');
  }
  const short = excerptOf(notes, 1000, new Rng(1));
  assert.equal(short.start, all[0].start);
  assert.equal(short.notes.length, notes.length);
});

test('workers prepare exactly what the main thread does; bad files are named, in order', async () => {
  const good = writeMixedDataset(root, 4);
  const tokenizer = MidiTokenizer.train(
    createScheme('exptime', {}),
    good.map((id) => readNotes(join(root, id))),
    { vocabSize: 300 },
  );
  const tokPath = join(root, 'tokenizer.json');
  writeTokenizer(tokenizer, tokPath);
  const spec: PrepareSpec = {
    tokenizerJson: readFileSync(tokPath, 'utf8'),
    sustain: 'musical',
    instruments: 'piano',
    handcrafted: true,
    excerpt: { seconds: 5, seed: 3 },
  };
  const items = openDataset(root).items;
  const inThread = await prepareItems(items, spec, { workers: 0 });
  const pooled = await prepareItems(items, spec, { workers: 2 });
  assert.deepEqual(
    pooled.map((p) => p.item.id),
    items.map((i) => i.id),
  );
  assert.deepEqual(pooled, inThread);
  const failed = pooled
    .filter((p) => !p.ok)
    .map((p) => p.item.id)
    .sort();
  assert.deepEqual(failed, Object.keys(BAD_FILES).sort());
  for (const p of pooled) {
    if (!p.ok) {
      assert.ok(p.error.startsWith(p.item.id), p.error);
      continue;
    }
    const notes = readNotes(p.item.path);
    assert.deepEqual([...p.piece.ids], [...tokenizer.encode(notes)]);
    assert.deepEqual([...p.piece.handcrafted!], [...handcraftedVector(notes)]);
    assert.equal(p.piece.notes, notes.length);
  }
});
