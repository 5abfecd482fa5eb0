// The hand-crafted baseline vector on a three-note example worked out by hand, and standardization.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notesFrom } from '../../src/midi/notes.js';
import { HANDCRAFTED_FEATURES, handcraftedVector } from '../../src/analysis/handcrafted.js';
import { fitStandardizer, standardize } from '../../src/analysis/standardize.js';
import { expectClose } from '../helpers/close.js';

test('handcraftedVector of a C–E chord then a G', () => {
  const notes = notesFrom([
    { pitch: 60, velocity: 60, start: 0, end: 1 }, // C, 1 s
    { pitch: 64, velocity: 80, start: 0.01, end: 0.51 }, // E, 0.5 s, 10 ms after C: same chord
    { pitch: 67, velocity: 100, start: 1, end: 3 }, // G, 2 s
  ]);
  const v = handcraftedVector(notes);
  assert.equal(v.length, HANDCRAFTED_FEATURES.length);
  const pc = new Array(12).fill(0);
  pc[0] = 1 / 3.5;
  pc[4] = 0.5 / 3.5;
  pc[7] = 2 / 3.5;
  const mean = (60 * 1 + 64 * 0.5 + 67 * 2) / 3.5;
  const std = Math.sqrt((1 * (60 - mean) ** 2 + 0.5 * (64 - mean) ** 2 + 2 * (67 - mean) ** 2) / 3.5);
  const expected = [
    ...pc,
    mean,
    std,
    7, // 67 - 60
    3 / 3, // 3 notes over 0 → 3 s
    80,
    Math.sqrt((20 ** 2 + 0 + 20 ** 2) / 3),
    1, // onsets {0, 1}: one interval of 1 s
  ];
  expectClose(v, expected, { label: 'features' });
  assert.deepEqual([...handcraftedVector(notesFrom([]))], new Array(HANDCRAFTED_FEATURES.length).fill(0));
});

test('standardize gives zero-mean unit-variance columns and leaves constant columns at 0', () => {
  const rows = [
    [1, 5, 2],
    [3, 5, 4],
    [5, 5, 9],
  ];
  const s = fitStandardizer(rows);
  const z = standardize(rows, s);
  const sd = Math.sqrt(8 / 3); // column 0: mean 3, deviations -2, 0, 2
  expectClose(
    z.map((r) => r[0]),
    [-2 / sd, 0, 2 / sd],
    { label: 'column 0' },
  );
  expectClose(
    z.map((r) => r[1]),
    [0, 0, 0],
    { label: 'constant column' },
  );
  for (let j = 0; j < 3; j++)
    expectClose(
      z.reduce((a, r) => a + r[j], 0),
      0,
      { atol: 1e-12, label: `mean of column ${j}` },
    );
});
