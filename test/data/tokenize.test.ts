// Dataset → shards end to end, with bad files in the dataset: every bad file is reported by name, every good file
// is finished, and the ids on disk equal what the tokenizer itself gives for that file (pool and single thread alike).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { openShards } from '../../src/data/shards.js';
import { tokenizeDataset } from '../../src/data/tokenize.js';
import { readTokenizer, writeTokenizer } from '../../src/data/tokenizer-file.js';
import { trainTokenizer } from '../../src/data/train-tokenizer.js';
import { MAX_MIDI_BYTES, readMidi } from '../../src/midi/read.js';
import { applySustain, type SustainRule } from '../../src/midi/sustain.js';
import { BAD_FILES, writeMixedDataset } from './fixtures/mixed-dataset.js';

const sustain: SustainRule = 'musical';

test('a dataset with bad files: bad ones named with their problem, good ones tokenized exactly, pool == one thread', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'motif-tok-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
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

test('a missing listed file and a huge file are failures naming them, not crashes', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'motif-tok-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
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
