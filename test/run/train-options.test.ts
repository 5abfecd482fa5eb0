import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAIN } from '../../src/model/config.js';
import { DEFAULT_RUN, optimizerConfig, parseSnapshotEpochs, resolveTrainOptions } from '../../src/run/train-options.js';

test('later layers override earlier ones; undefined values are skipped', () => {
  const o = resolveTrainOptions({ lr: 1e-3, epochs: 4 }, { lr: 2e-3, seed: undefined }, { epochs: 5 });
  assert.equal(o.lr, 2e-3);
  assert.equal(o.epochs, 5);
  assert.equal(o.seed, DEFAULT_RUN.seed);
  assert.equal(o.batchSize, DEFAULT_TRAIN.batchSize);
  assert.deepEqual(Object.keys(optimizerConfig(o)).sort(), Object.keys(DEFAULT_TRAIN).sort());
  assert.equal(optimizerConfig(o).lr, 2e-3);
});

test('bad options are refused by name', () => {
  assert.throws(() => resolveTrainOptions({ epoch: 3 }), /unknown option "epoch"/);
  assert.throws(() => resolveTrainOptions({ epochs: 0 }), /epochs must be a positive integer/);
  assert.throws(() => resolveTrainOptions({ seed: -1 }), /seed must be/);
  assert.throws(() => resolveTrainOptions({ lr: -1 }), /lr/);
  assert.throws(() => resolveTrainOptions({ snapshotEpochs: 'first' }), /snapshot epoch "first"/);
});

test('snapshot epochs parse from lists and comma strings', () => {
  assert.deepEqual(parseSnapshotEpochs('0, 10,30,last'), [0, 10, 30, 'last']);
  assert.deepEqual(parseSnapshotEpochs([2, 'last']), [2, 'last']);
  assert.throws(() => parseSnapshotEpochs('1.5'), /not an integer/);
});
