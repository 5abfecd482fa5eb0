import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { NO_SPLIT, type ShardIndex } from '../../src/data/shards.js';
import { ALL_PIECES, openCorpus, splitOf } from '../../src/train/corpus.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

test('pieces keep their own split; pieces without one are held out 80/10/10, stably by id', () => {
  assert.equal(splitOf({ id: 'a.mid', split: 'test' }), 'test');
  const ids = Array.from({ length: 4000 }, (_, i) => `folder/piece-${i}.mid`);
  const splits = ids.map((id) => splitOf({ id, split: NO_SPLIT }));
  assert.deepEqual(
    ids.map((id) => splitOf({ id, split: NO_SPLIT })),
    splits,
  );
  const share = (s: string): number => splits.filter((x) => x === s).length / ids.length;
  // Binomial spread at n = 4000: 0.8 ± 0.03 and 0.1 ± 0.024 (5 standard deviations).
  assert.ok(Math.abs(share('train') - 0.8) < 0.03, `train ${share('train')}`);
  assert.ok(Math.abs(share('validation') - 0.1) < 0.024, `validation ${share('validation')}`);
  assert.ok(Math.abs(share('test') - 0.1) < 0.024, `test ${share('test')}`);
});

test('openCorpus reads the framing ids and the pieces of a split from real shards', () => {
  const dir = writeTinyShards(join(tempDir('corpus'), 'shards'));
  const c = openCorpus(dir);
  assert.deepEqual(c.framing, { padId: 0, bosId: 1, eosId: 2 });
  assert.deepEqual(c.splits, ['train', 'validation', 'test']);
  const test = c.split('test');
  assert.equal(test.length, 6);
  for (const { piece, ids } of test) {
    assert.equal(ids.length, piece.length);
    assert.ok(ids.every((x) => x >= 4 && x < 64));
  }
  assert.throws(() => c.split('dev'), /no pieces in split "dev" \(splits present: train, validation, test\)/);
});

test('train pieces of a work that another split also holds are left out of train (held-out works stay unseen)', () => {
  const dir = writeTinyShards(join(tempDir('corpus-overlap'), 'shards'));
  const c0 = openCorpus(dir);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ShardIndex;
  const heldOut = index.pieces.find((p) => p.split === 'test')!;
  const [a, b] = index.pieces.filter((p) => p.split === 'train');
  const pieces = index.pieces.map((p) =>
    p === a
      ? { ...p, piece: heldOut.piece ?? 'the-work' }
      : p === heldOut
        ? { ...p, piece: heldOut.piece ?? 'the-work' }
        : p === b
          ? { ...p, piece: 'train-only' }
          : p,
  );
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...index, pieces }));
  const c = openCorpus(dir);
  assert.deepEqual(c0.trainOverlap, []);
  assert.deepEqual(c.trainOverlap, [a.id]);
  const train = c.split('train').map((p) => p.piece.id);
  assert.equal(train.length, c0.split('train').length - 1);
  assert.ok(!train.includes(a.id) && train.includes(b.id));
  assert.equal(c.split('test').length, c0.split('test').length, 'held-out splits keep every piece');
  assert.equal(c.split(ALL_PIECES).length, index.pieces.length);
});
