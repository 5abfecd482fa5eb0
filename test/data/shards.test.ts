// Shard writer/reader: ids written come back equal, per split and across shard boundaries; an unfinished run
// keeps its full shards (index.complete false) and can be resumed; a wrong shard size or id is loud.
// The end-to-end check against the tokenizer's own output is in tokenize.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { DatasetItem } from '../../src/data/dataset-item.js';
import { JOURNAL_FILE, ShardWriter, dtypeFor, openShards, type ShardHeader } from '../../src/data/shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const header = (vocabSize: number, sha = 'abc'): ShardHeader => ({
  dtype: dtypeFor(vocabSize),
  vocabSize,
  tokenizer: { path: 'tok.json', sha256: sha },
  dataset: { root: '/data', layout: 'folder' },
});

const item = (id: string, split?: string): DatasetItem => ({ id, path: `/data/${id}`, kind: 'performance', split, composer: 'C' });

test('dtype: uint16 up to 65,536 ids, int32 above', () => {
  assert.equal(dtypeFor(30000), 'uint16');
  assert.equal(dtypeFor(65536), 'uint16');
  assert.equal(dtypeFor(65537), 'int32');
});

test('random pieces round-trip through shards of both dtypes', () => {
  const root = tempDir('shards');
  let run = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(1000, 100000),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.record({ split: fc.constantFrom('train', 'test', undefined), len: fc.integer({ min: 0, max: 30 }) }), { maxLength: 25 }),
      (vocab, shardTokens, specs) => {
        const dir = join(root, String(run++));
        const w = new ShardWriter(dir, header(vocab), { shardTokens });
        const expected = new Map<string, number[]>();
        specs.forEach((s, i) => {
          const ids = Array.from({ length: s.len }, (_, k) => (i * 7919 + k * 104729) % vocab);
          expected.set(`p${i}`, ids);
          w.add(item(`p${i}`, s.split), ids, i);
        });
        const index = w.finish();
        assert.equal(index.complete, true);
        const shards = openShards(dir);
        assert.equal(shards.index.pieces.length, specs.length);
        for (const p of shards.index.pieces) {
          assert.deepEqual(Array.from(shards.tokens(p.id)), expected.get(p.id));
          assert.equal(p.notes, Number(p.id.slice(1)));
          assert.equal(p.split, specs[Number(p.id.slice(1))].split ?? 'all');
          assert.ok(p.shard.startsWith(p.split));
        }
        // A shard is only over its limit when it holds a single piece larger than the limit.
        for (const s of shards.index.shards) {
          const n = shards.index.pieces.filter((p) => p.shard === s.file).length;
          assert.ok(s.tokens <= shardTokens || n === 1, `${s.file} has ${s.tokens} tokens in ${n} pieces`);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('an unfinished run keeps its full shards; resume continues; a fresh run replaces them', () => {
  const dir = tempDir('shards');
  const ids = (i: number) => Array.from({ length: 10 }, (_, k) => i * 10 + k);
  const w = new ShardWriter(dir, header(1000), { shardTokens: 25 });
  for (let i = 0; i < 7; i++) w.add(item(`p${i}`, 'train'), ids(i), 1);
  // No finish(): as after a crash. Shards of 20 tokens were flushed when the third piece arrived.
  const crashed = openShards(dir);
  assert.equal(crashed.index.complete, false);
  assert.deepEqual(crashed.index.pieces.map((p) => p.id), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  assert.deepEqual(Array.from(crashed.tokens('p4')), ids(4));
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')));

  writeFileSync(join(dir, 'train-00003.bin.tmp-999'), new Uint8Array(7)); // as left by a crash mid-write
  const resumed = new ShardWriter(dir, header(1000), { shardTokens: 25, resume: true });
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')));
  const done = resumed.finishedIds();
  for (let i = 0; i < 9; i++) if (!done.has(`p${i}`)) resumed.add(item(`p${i}`, 'train'), ids(i), 1);
  resumed.finish();
  const all = openShards(dir);
  assert.deepEqual(all.index.pieces.map((p) => p.id).sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  for (let i = 0; i < 9; i++) assert.deepEqual(Array.from(all.tokens(`p${i}`)), ids(i));
  assert.equal(new Set(all.index.shards.map((s) => s.file)).size, all.index.shards.length);

  // Another tokenizer cannot resume (and deletes nothing); without resume, the old shards go.
  assert.throws(() => new ShardWriter(dir, header(1000, 'other'), { shardTokens: 25, resume: true }), /cannot resume, its shards were made with another tokenizer/);
  assert.equal(openShards(dir).index.pieces.length, 9);
  const fresh = new ShardWriter(dir, header(1000, 'other'), { shardTokens: 25 });
  fresh.add(item('q', 'test'), [1, 2, 3], 1);
  fresh.finish();
  assert.deepEqual(readdirSync(dir).sort(), ['index.json', 'test-00000.bin']);
});

test('a flush appends to the journal and leaves index.json alone; readers and resume fold the journal in', () => {
  const dir = tempDir('shards');
  const ids = (i: number) => Array.from({ length: 10 }, (_, k) => i * 10 + k);
  const w = new ShardWriter(dir, header(1000), { shardTokens: 25 });
  const written = readFileSync(join(dir, 'index.json'), 'utf8');
  for (let i = 0; i < 9; i++) w.add(item(`p${i}`, 'train'), ids(i), 1);
  // Four shards of two pieces flushed: index.json is still the one written at the start, with no pieces.
  assert.equal(readFileSync(join(dir, 'index.json'), 'utf8'), written);
  assert.deepEqual(JSON.parse(written).pieces, []);
  const journal = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
  assert.equal(journal.length, 4);
  assert.deepEqual(openShards(dir).index.pieces.map((p) => p.id), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);

  // A crash mid-append tears the last line: its shard is not indexed, and resume redoes its pieces.
  appendFileSync(join(dir, JOURNAL_FILE), '{"shard":{"file":"train-00004.bin","spl');
  assert.equal(openShards(dir).index.pieces.length, 8);
  const saved = join(dir, 'journal.copy');
  copyFileSync(join(dir, JOURNAL_FILE), saved);
  const resumed = new ShardWriter(dir, header(1000), { shardTokens: 25, resume: true });
  assert.ok(!existsSync(join(dir, JOURNAL_FILE)), 'resume folds the journal into index.json');
  assert.equal(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).pieces.length, 8);
  // A crash between that index write and the journal's removal leaves entries in both: they count once.
  copyFileSync(saved, join(dir, JOURNAL_FILE));
  assert.equal(openShards(dir).index.pieces.length, 8);
  const done = resumed.finishedIds();
  for (let i = 0; i < 9; i++) if (!done.has(`p${i}`)) resumed.add(item(`p${i}`, 'train'), ids(i), 1);
  resumed.finish();
  assert.ok(!existsSync(join(dir, JOURNAL_FILE)));
  const all = openShards(dir);
  assert.equal(all.index.complete, true);
  assert.deepEqual(all.index.pieces.map((p) => p.id), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  for (let i = 0; i < 9; i++) assert.deepEqual(Array.from(all.tokens(`p${i}`)), ids(i));

  // A damaged line that is not the last is an error naming the journal, not pieces silently lost.
  writeFileSync(join(dir, JOURNAL_FILE), 'not json\n{}\n');
  assert.throws(() => openShards(dir), /index\.journal\.jsonl: line 1 is damaged/);
});

test('failures are listed in the index; out-of-range ids and damaged shards are errors', () => {
  const dir = tempDir('shards');
  const w = new ShardWriter(dir, header(100));
  w.fail(item('bad.mid'), 'bad.mid: not a MIDI file');
  assert.throws(() => w.add(item('x.mid'), [5, 100], 1), /x\.mid: token id 100 outside the vocabulary 0\.\.99/);
  w.add(item('ok.mid'), [5, 99], 2);
  const index = w.finish();
  assert.deepEqual(index.failures, [{ id: 'bad.mid', path: '/data/bad.mid', error: 'bad.mid: not a MIDI file' }]);
  const file = join(dir, index.shards[0].file);
  assert.equal(readFileSync(file).byteLength, 4);
  writeFileSync(file, new Uint8Array(3));
  assert.throws(() => openShards(dir).tokens('ok.mid'), /3 bytes, expected 4/);
  assert.throws(() => openShards(join(dir, 'none')), /no index\.json/);
  // A damaged index (a negative offset, a length past the shard) is refused, not read from other tokens.
  writeFileSync(file, new Uint8Array(4));
  for (const [offset, length] of [[-1, 2], [1, 2], [0.5, 1]]) {
    const damaged = { ...index, pieces: index.pieces.map((p) => ({ ...p, offset, length })) };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(damaged));
    assert.throws(() => openShards(dir).tokens('ok.mid'), /index\.json: piece ok\.mid claims tokens .* the index is damaged/, `offset ${offset}, length ${length}`);
  }
  assert.ok(existsSync(join(dir, 'index.json')));
});
