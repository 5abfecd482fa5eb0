import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialTrainerState, readTrainerState, writeTrainerState } from '../../src/run/trainer-state.js';
import { TRAINER_STATE_FILE } from '../../src/run/layout.js';
import { tempDir } from '../helpers/temp-dir.js';

test('a state before any validation travels through JSON (which has no Infinity) and comes back as it was', () => {
  const dir = tempDir('trainer-state');
  const state = initialTrainerState([1, 2, 3, 4]);
  writeTrainerState(dir, state);
  assert.equal(
    (JSON.parse(readFileSync(join(dir, TRAINER_STATE_FILE), 'utf8')) as { bestValLoss: null }).bestValLoss,
    null,
  );
  assert.deepEqual(readTrainerState(dir), state);
  const later = {
    ...state,
    step: 12,
    stepInEpoch: 2,
    bestValLoss: 1.5,
    bestStep: 10,
    metricsBytes: 900,
    elapsed: 3.25,
  };
  later.sinceRecord = { loss: 4.5, gradNorm: 1, steps: 2, tokens: 64, seconds: 0.5 };
  writeTrainerState(dir, later);
  assert.deepEqual(readTrainerState(dir), later);
});

test('a damaged trainer.json is an error naming the file', () => {
  const dir = tempDir('trainer-state');
  writeFileSync(join(dir, TRAINER_STATE_FILE), '{"step": 1');
  assert.throws(
    () => readTrainerState(dir),
    (e: Error) => e.message.startsWith(join(dir, TRAINER_STATE_FILE)),
  );
});
