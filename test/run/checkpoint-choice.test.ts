// The one resolver of `--checkpoint` words, on a run folder laid out by hand (only the presence of
// model.safetensors matters to it).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import { MODEL_FILE, snapshotName, checkpointName } from '../../src/run/layout.js';
import { tempDir } from '../helpers/temp-dir.js';

function withWeights(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MODEL_FILE), '');
  return dir;
}

test('best falls back from the best checkpoint to the newest checkpoint, snapshot, then exported weights', () => {
  const run = tempDir('choice');
  withWeights(run); // as an exported folder
  assert.equal(resolveCheckpoint(run), run);
  const snap2 = withWeights(join(run, 'snapshots', snapshotName(2)));
  withWeights(join(run, 'snapshots', snapshotName(0)));
  assert.equal(resolveCheckpoint(run, 'best'), snap2);
  const c10 = withWeights(join(run, 'checkpoints', checkpointName(10)));
  const c20 = withWeights(join(run, 'checkpoints', checkpointName(20)));
  assert.equal(resolveCheckpoint(run, 'best'), c20);
  new CheckpointStore(run).setBest(10, 1.5);
  assert.equal(resolveCheckpoint(run, 'best'), c10);
  assert.equal(resolveCheckpoint(run, 'last'), c20);
  assert.equal(resolveCheckpoint(run, 'latest'), c20);
  assert.equal(resolveCheckpoint(run, 'epoch-2'), snap2);
  assert.equal(resolveCheckpoint(run, c10), resolve(c10));
});

test('a missing choice is named in the error, and nothing is created', () => {
  const run = tempDir('choice');
  assert.throws(() => resolveCheckpoint(run, 'best'), /: no best checkpoint$/);
  assert.throws(() => resolveCheckpoint(run, 'last'), /: no last checkpoint$/);
  assert.throws(() => resolveCheckpoint(run, 'epoch-3'), /: no snapshot of epoch 3$/);
  assert.throws(() => resolveCheckpoint(run, join(run, 'nowhere')), /no model\.safetensors in .*nowhere$/);
  assert.throws(() => resolveCheckpoint(run, 'latest'));
  assert.deepEqual(readdirSync(run), []);
});
