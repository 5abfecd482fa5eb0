// Excerpts: slicing by hand-checked example, and seeded random excerpts that stay inside the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notesFrom, notesToArray } from '../../src/midi/notes.js';
import { randomExcerpt, sliceNotes } from '../../src/analysis/excerpt.js';
import { Rng } from '../../src/util/rng.js';

test('sliceNotes keeps notes starting in [from, to), shifted and clipped', () => {
  const notes = notesFrom([
    { pitch: 60, velocity: 50, start: 0, end: 2 }, // starts before the window: dropped
    { pitch: 62, velocity: 60, start: 1, end: 1.5 }, // inside
    { pitch: 64, velocity: 70, start: 2.5, end: 9 }, // inside, clipped at 4
    { pitch: 65, velocity: 80, start: 4, end: 5 }, // starts at `to`: dropped
  ]);
  assert.deepEqual(notesToArray(sliceNotes(notes, 1, 4)), [
    { pitch: 62, velocity: 60, start: 0, end: 0.5 },
    { pitch: 64, velocity: 70, start: 1.5, end: 3 },
  ]);
});

test('randomExcerpt: seeded, inside the window, whole performance when short', () => {
  const notes = notesFrom(
    Array.from({ length: 600 }, (_, i) => ({ pitch: 40 + (i % 40), velocity: 64, start: i * 0.1, end: i * 0.1 + 0.5 })),
  );
  const a = randomExcerpt(notes, 15, new Rng(9));
  const b = randomExcerpt(notes, 15, new Rng(9));
  assert.deepEqual(notesToArray(a), notesToArray(b));
  assert.ok(a.length >= 149 && a.length <= 151, `${a.length} notes of 0.1 s spacing in 15 s`);
  for (let i = 0; i < a.length; i++) assert.ok(a.start[i] >= 0 && a.end[i] <= 15 + 1e-9 && a.end[i] > a.start[i]);
  const c = randomExcerpt(notes, 15, new Rng(10));
  assert.notDeepEqual(notesToArray(c), notesToArray(a), 'another seed, another excerpt');
  assert.equal(randomExcerpt(notes, 100, new Rng(9)).length, 600);
});
