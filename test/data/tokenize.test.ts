// Dataset → shards end to end, with bad files in the dataset: every bad file is reported by name, every good file
// is finished, and the ids on disk equal what the tokenizer itself gives for that file (pool and single thread alike).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { openShards } from '../../src/data/shards.js';
import { tokenizeDataset } from '../../src/data/tokenize.js';
import { readTokenizer, writeTokenizer } from '../../src/data/tokenizer-file.js';
import { trainTokenizer } from '../../src/data/train-tokenizer.js';
import { MAX_MIDI_BYTES, readMidi } from '../../src/midi/read.js';
import { applySustain, type SustainRule } from '../../src/midi/sustain.js';
import { BAD_FILES, writeMixedDataset } from '../helpers/mixed-dataset.js';
import { BAND_DRUMS, BAND_PIANO, BAND_VIOLIN, bandFile } from '../helpers/band.js';
import { ev, smf, track } from '../helpers/smf.js';
import { tempDir } from '../helpers/temp-dir.js';

const sustain: SustainRule = 'musical';

test('a dataset with bad files: bad ones named with their problem, good ones tokenized exactly, pool == one thread', async () => {
  const root = tempDir('tok');
  const data = join(root, 'data');
  const goodIds = writeMixedDataset(data, 4);
  const dataset = openDataset(data);
  const badIds = Object.keys(BAD_FILES).sort();

  // Training skips the bad files too, and says which.
  const trained = await trainTokenizer(dataset.items, { vocabSize: 320, scheme: 'exptime', sustain, workers: 2 });
  assert.deepEqual(trained.failures.map((f) => f.id).sort(), badIds);
  assert.equal(trained.files, goodIds.length + badIds.length);
  const tokenizerPath = join(root, 'tokenizer.json');
  writeTokenizer(trained.tokenizer, tokenizerPath);
  const { tokenizer, sha256 } = readTokenizer(tokenizerPath);

  const outs = { pool: join(root, 'pool'), single: join(root, 'single') };
  const pool = await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: outs.pool, sustain, workers: 2, shardTokens: 500 });
  await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: outs.single, sustain, workers: 0, shardTokens: 500 });

  const index = pool.index;
  assert.equal(index.complete, true);
  assert.equal(index.tokenizer.sha256, sha256);
  assert.equal(index.vocabSize, tokenizer.vocabSize);
  assert.deepEqual(index.failures.map((f) => f.id).sort(), badIds);
  for (const f of index.failures) {
    assert.ok(f.error.startsWith(`${f.id}: `), `error names the file: ${f.error}`);
    assert.ok(f.error.length > f.id.length + 5, `error says the problem: ${f.error}`);
  }
  assert.deepEqual(index.pieces.map((p) => p.id).sort(), goodIds);
  assert.ok(index.shards.length > 1, 'small shards: the pieces span several files');

  const shards = openShards(outs.pool);
  const single = openShards(outs.single);
  let tokens = 0;
  for (const id of goodIds) {
    const perf = readMidi(readFileSync(join(data, id)), id);
    const notes = applySustain(perf, { rule: sustain });
    const expected = tokenizer.encode(notes);
    assert.deepEqual(Array.from(shards.tokens(id)), Array.from(expected), id);
    assert.deepEqual(Array.from(single.tokens(id)), Array.from(expected), id);
    assert.equal(index.pieces.find((p) => p.id === id)?.notes, notes.length);
    tokens += expected.length;
  }
  assert.equal(pool.tokens, tokens);
  for (const s of index.shards) assert.deepEqual(readFileSync(join(outs.pool, s.file)), readFileSync(join(outs.single, s.file)), s.file);
});

test('a missing listed file and a huge file are failures naming them, not crashes', async () => {
  const root = tempDir('tok');
  const data = join(root, 'data');
  const [good] = writeMixedDataset(data, 1);
  const dataset = openDataset(data);
  // Sparse: 1 byte over the limit on paper, nothing on disk; it must be refused without being read.
  const huge = join(data, 'huge.mid');
  writeFileSync(huge, '');
  truncateSync(huge, MAX_MIDI_BYTES + 1);
  const items = [
    dataset.items.find((i) => i.id === good)!,
    { id: 'gone.mid', path: join(data, 'gone.mid'), kind: 'performance' as const },
    { id: 'huge.mid', path: huge, kind: 'performance' as const },
  ];
  const trained = await trainTokenizer(items, { vocabSize: 250, scheme: 'logbin', sustain: 'none', workers: 0 });
  assert.deepEqual(
    trained.failures.map((f) => f.error),
    ['gone.mid: cannot read file (ENOENT)', `huge.mid: file too large (${MAX_MIDI_BYTES + 1} bytes; the limit is 256 MiB)`],
  );
  assert.equal(trained.tokenizer.base.name, 'logbin');
});

test('instruments: what each policy reads is tokenized, recorded in index.json and reported per file; resume refuses another reading', async () => {
  const root = tempDir('tok');
  const data = join(root, 'data');
  writeMixedDataset(data, 1);
  writeFileSync(join(data, 'band.mid'), bandFile());
  // Two notes without a note-off: a reader warning, to be reported with the file's name.
  writeFileSync(join(data, 'open.mid'), smf(0, 100, track(ev(0, 0x90, 60, 50), ev(0, 0x90, 64, 50), ev(100, 0xb0, 1, 0))));
  const dataset = openDataset(data);
  const items = dataset.items.filter((i) => !i.id.startsWith('bad/'));
  const trained = await trainTokenizer(items, { vocabSize: 260, scheme: 'exptime', sustain, workers: 2 });
  const tokenizerPath = join(root, 'tokenizer.json');
  writeTokenizer(trained.tokenizer, tokenizerPath);
  const { tokenizer } = readTokenizer(tokenizerPath);
  const band = readFileSync(join(data, 'band.mid'));
  const bandDropped = readMidi(band, 'band.mid').dropped!;

  // The default reads the piano only, in the workers as in this thread, and says what it left out.
  assert.equal(trained.reading.instruments, 'piano');
  assert.deepEqual(trained.reading.files.map((f) => f.id), ['band.mid', 'open.mid']);
  assert.equal(trained.reading.droppedNotes, BAND_DRUMS.length + BAND_VIOLIN.length);
  assert.equal(trained.reading.ignoredPedalEvents, 2);
  assert.deepEqual(trained.reading.files[0], { id: 'band.mid', dropped: bandDropped, warnings: [] });
  assert.deepEqual(trained.reading.files[1], { id: 'open.mid', dropped: { notes: [], pedal: [] }, warnings: ['open.mid: 2 notes without a note-off in track 0, closed at the end of the track'] });
  assert.equal(trained.reading.warnings, 1);

  for (const instruments of ['piano', 'all'] as const) {
    const out = join(root, instruments);
    const result = await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out, items, sustain, instruments, workers: 2 });
    assert.equal(result.index.instruments, instruments);
    assert.equal(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).instruments, instruments);
    const notes = applySustain(readMidi(band, 'band.mid', { instruments }), { rule: sustain });
    assert.deepEqual(Array.from(openShards(out).tokens('band.mid')), Array.from(tokenizer.encode(notes)), `${instruments}: band.mid`);
    assert.equal(notes.length, instruments === 'piano' ? BAND_PIANO.length : BAND_PIANO.length + BAND_DRUMS.length + BAND_VIOLIN.length);
    assert.equal(result.reading.droppedNotes, instruments === 'piano' ? BAND_DRUMS.length + BAND_VIOLIN.length : 0);
    assert.equal(result.reading.files.length, instruments === 'piano' ? 2 : 1, 'the warning is reported whatever the policy');
  }

  // Resuming with another reading would mix two readings in one shard set.
  await assert.rejects(
    tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: join(root, 'piano'), items, sustain, instruments: 'all', resume: true, workers: 0 }),
    /cannot resume, its shards were read with --instruments piano --sustain musical, this run reads with --instruments all --sustain musical/,
  );
  // Shards from before the choice have no field: they were read with 'all', and resume as such.
  const old = join(root, 'all', 'index.json');
  const { instruments: _, ...unrecorded } = JSON.parse(readFileSync(old, 'utf8'));
  writeFileSync(old, JSON.stringify(unrecorded));
  const resumed = await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: join(root, 'all'), items, sustain, instruments: 'all', resume: true, workers: 0 });
  assert.equal(resumed.skipped, items.length);
});
