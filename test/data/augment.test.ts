// Augmentation of notes: transposition keeps every note and stays on the keyboard, stretch scales time
// and nothing else, velocity offsets clamp; draws cover their ranges and follow from (seed, epoch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentNotes, checkAugmentRanges, drawAugmentation, PIANO_HIGH, PIANO_LOW, transposeWithin } from '../../src/data/augment.js';
import { notesFrom, notesToArray } from '../../src/midi/notes.js';
import { epochAugmentations } from '../../src/train/augment-epochs.js';
import { randomNotes } from '../helpers/mixed-dataset.js';

const chord = notesFrom([
  { pitch: 60, velocity: 80, start: 0, end: 1 },
  { pitch: 64, velocity: 5, start: 0, end: 0.5 },
  { pitch: 67, velocity: 125, start: 0.25, end: 2 },
]);

test('transposition moves every pitch by k and keeps everything else', () => {
  for (const k of [-5, -1, 0, 3, 5]) {
    const out = notesToArray(augmentNotes(chord, { transpose: k, stretch: 1, velocity: 0 }));
    assert.deepEqual(out, notesToArray(chord).map((n) => ({ ...n, pitch: n.pitch + k })), `k ${k}`);
  }
});

test('a shift that would leave the keyboard is shortened to the largest that fits; no note is dropped', () => {
  const low = notesFrom([{ pitch: PIANO_LOW + 2, velocity: 60, start: 0, end: 1 }, { pitch: 70, velocity: 60, start: 1, end: 2 }]);
  assert.equal(transposeWithin(low, -5), -2);
  assert.equal(transposeWithin(low, 5), 5);
  const high = notesFrom([{ pitch: 40, velocity: 60, start: 0, end: 1 }, { pitch: PIANO_HIGH - 1, velocity: 60, start: 1, end: 2 }]);
  assert.equal(transposeWithin(high, 4), 1);
  assert.equal(transposeWithin(high, -4), -4);
  const full = notesFrom([{ pitch: PIANO_LOW, velocity: 60, start: 0, end: 1 }, { pitch: PIANO_HIGH, velocity: 60, start: 1, end: 2 }]);
  assert.equal(transposeWithin(full, 5), 0);
  assert.equal(transposeWithin(full, -5), 0);
  // A note already off the keyboard (some files have them) is never pushed further out, but the piece may move inwards.
  const offBelow = notesFrom([{ pitch: 15, velocity: 60, start: 0, end: 1 }, { pitch: 60, velocity: 60, start: 1, end: 2 }]);
  assert.equal(transposeWithin(offBelow, -3), 0);
  assert.equal(transposeWithin(offBelow, 3), 3);
  const random = randomNotes(7, 400);
  for (let k = -12; k <= 12; k++) {
    const out = augmentNotes(random, { transpose: k, stretch: 1, velocity: 0 });
    assert.equal(out.length, random.length);
    const shift = transposeWithin(random, k);
    for (let i = 0; i < out.length; i++) {
      assert.ok(out.pitch[i] >= PIANO_LOW && out.pitch[i] <= PIANO_HIGH);
      assert.equal(out.pitch[i], random.pitch[i] + shift);
    }
  }
});

test('stretch scales onsets and releases by the factor; velocity offsets clamp to 1..127', () => {
  const out = notesToArray(augmentNotes(chord, { transpose: 0, stretch: 1.1, velocity: 10 }));
  assert.deepEqual(out.map((n) => n.pitch), [60, 64, 67]);
  assert.deepEqual(out.map((n) => n.velocity), [90, 15, 127]);
  out.forEach((n, i) => {
    const src = notesToArray(chord)[i];
    assert.ok(Math.abs(n.start - src.start * 1.1) < 1e-12 && Math.abs(n.end - src.end * 1.1) < 1e-12);
  });
  assert.deepEqual(notesToArray(augmentNotes(chord, { transpose: 0, stretch: 1, velocity: -10 })).map((n) => n.velocity), [70, 1, 115]);
});

test('draws cover exactly their ranges and follow from (seed, epoch)', () => {
  const ranges = { transpose: 5, stretch: 0.1, velocity: 8 };
  assert.deepEqual(drawAugmentation(ranges, [0, 0, 0]), { transpose: -5, stretch: 0.9, velocity: -8 });
  const top = drawAugmentation(ranges, [1 - 2 ** -53, 1 - 2 ** -53, 1 - 2 ** -53]);
  assert.equal(top.transpose, 5);
  assert.equal(top.velocity, 8);
  assert.ok(top.stretch <= 1.1 && top.stretch > 1.0999);
  const draws = epochAugmentations(2000, ranges, 1, 0);
  const shifts = new Set(draws.map((d) => d.transpose));
  assert.deepEqual([...shifts].sort((a, b) => a - b), [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]);
  assert.ok(draws.every((d) => d.stretch >= 0.9 && d.stretch <= 1.1 && Math.abs(d.velocity) <= 8));
  assert.deepEqual(epochAugmentations(50, ranges, 1, 3), epochAugmentations(50, ranges, 1, 3));
  assert.notDeepEqual(epochAugmentations(50, ranges, 1, 3), epochAugmentations(50, ranges, 1, 4));
  assert.notDeepEqual(epochAugmentations(50, ranges, 1, 3), epochAugmentations(50, ranges, 2, 3));
  assert.deepEqual(new Set(epochAugmentations(20, { transpose: 0, stretch: 0, velocity: 0 }, 1, 0).map((d) => JSON.stringify(d))), new Set(['{"transpose":0,"stretch":1,"velocity":0}']));
});

test('ranges are checked', () => {
  assert.throws(() => checkAugmentRanges({ transpose: 2.5, stretch: 0, velocity: 0 }, 'x'), /transpose/);
  assert.throws(() => checkAugmentRanges({ transpose: 0, stretch: 0.7, velocity: 0 }, 'x'), /stretch/);
  assert.throws(() => checkAugmentRanges({ transpose: 0, stretch: '0.1' as unknown as number, velocity: 0 }, 'x'), /stretch/);
  assert.throws(() => checkAugmentRanges({ transpose: 0, stretch: 0, velocity: -1 }, 'x'), /velocity/);
});
