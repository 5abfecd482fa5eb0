// Tests of writeMidi: random notes and pedal survive write → read within one tick, and
// @tonejs/midi (an independent reader) agrees with ours on the files written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import tonejs from '@tonejs/midi';
import { writeMidi } from '../../src/midi/write.js';
import { readMidi } from '../../src/midi/read.js';
import { notesFrom, notesToArray } from '../../src/midi/notes.js';
import { assertSameNotes, canonical } from './compare.js';

const { Midi } = tonejs;

const noteArb = fc
  .record({
    pitch: fc.integer({ min: 0, max: 127 }),
    velocity: fc.integer({ min: 1, max: 127 }),
    start: fc.double({ min: 0, max: 100, noNaN: true }),
    length: fc.double({ min: 0.0005, max: 5, noNaN: true }),
  })
  .map(({ length, ...n }) => ({ ...n, end: n.start + length }));
// Repeated pitches on a coarse grid, so that overlapping and back-to-back notes of one pitch are common
// (at most 15, the channels the writer spreads overlapping notes of one pitch over).
const crowdedArb = fc
  .record({
    pitch: fc.integer({ min: 60, max: 62 }),
    velocity: fc.integer({ min: 1, max: 127 }),
    start: fc.integer({ min: 0, max: 20 }).map((k) => k / 4),
    length: fc.integer({ min: 1, max: 8 }).map((k) => k / 4),
  })
  .map(({ length, ...n }) => ({ ...n, end: n.start + length }));
const pedalArb = fc
  .array(fc.record({ time: fc.double({ min: 0, max: 100, noNaN: true }), value: fc.integer({ min: 0, max: 127 }) }), {
    maxLength: 20,
  })
  .map((p) => p.sort((a, b) => a.time - b.time));
const optionsArb = fc.record({ ppq: fc.constantFrom(96, 480, 960), tempo: fc.constantFrom(60, 120, 133.5) });

test('write → read gives back notes and pedal within one tick', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.array(noteArb, { maxLength: 60 }), fc.array(crowdedArb, { maxLength: 15 })),
      pedalArb,
      optionsArb,
      (list, pedal, { ppq, tempo }) => {
        const tick = Math.round(60e6 / tempo) / 1e6 / ppq; // the tempo is stored as whole µs per quarter note
        // 'all': every pedal event must come back, even from a file without notes, where 'piano' drops it as sustaining nothing.
        const perf = readMidi(writeMidi(notesFrom(list), { pedal, ppq, tempo }), 'roundtrip.mid', {
          instruments: 'all',
        });
        const offKeyboard = list.filter((n) => n.pitch < 21 || n.pitch > 108).length;
        assert.deepEqual(
          perf.warnings,
          offKeyboard ? [`roundtrip.mid: ${offKeyboard} notes outside the piano's range 21..108`] : [],
        );
        const got = canonical(notesToArray(perf.notes));
        // Compare against the input snapped to the grid (one tick minimum length), sorted the same way.
        const snap = (t: number) => Math.round(t / tick) * tick;
        const want = canonical(
          list.map((n) => ({ ...n, start: snap(n.start), end: Math.max(snap(n.end), snap(n.start) + tick) })),
        );
        assertSameNotes(got, want, 1e-9, 'write → read');
        for (const n of got) assert.ok(n.end > n.start);
        assert.equal(perf.pedal.length, pedal.length);
        perf.pedal.forEach((p, i) => {
          assert.ok(Math.abs(p.time - pedal[i].time) <= tick / 2 + 1e-9);
          assert.equal(p.value, pedal[i].value);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('@tonejs/midi reads our output to the same notes', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.array(noteArb, { maxLength: 60 }), fc.array(crowdedArb, { maxLength: 15 })),
      optionsArb,
      (list, { ppq, tempo }) => {
        const bytes = writeMidi(notesFrom(list), { ppq, tempo });
        const ours = canonical(notesToArray(readMidi(bytes, 'tone.mid').notes));
        const midi = new Midi(bytes);
        const theirs = canonical(
          midi.tracks.flatMap((t) =>
            t.notes.map((n) => ({
              pitch: n.midi,
              velocity: Math.round(n.velocity * 127),
              start: n.time,
              end: n.time + n.duration,
            })),
          ),
        );
        assertSameNotes(ours, theirs, 1e-6, 'ours vs tonejs');
      },
    ),
    { numRuns: 100 },
  );
});

test('bad arguments are refused with a clear message', () => {
  const one = notesFrom([{ pitch: 60, velocity: 64, start: 0, end: 1 }]);
  assert.throws(() => writeMidi(one, { ppq: 0 }), /ppq must be an integer in 1\.\.32767/);
  assert.throws(() => writeMidi(one, { tempo: 0 }), /tempo 0 bpm is out of range/);
  assert.throws(
    () => writeMidi(notesFrom([{ pitch: 60, velocity: 64, start: -1, end: 1 }])),
    /negative or invalid time -1/,
  );
  assert.throws(
    () => writeMidi(notesFrom([{ pitch: 60, velocity: 64, start: 0, end: 400_000 }])),
    /does not fit a MIDI delta time/,
  );
});
