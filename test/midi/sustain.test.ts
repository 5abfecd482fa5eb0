// Tests of applySustain: hand-worked pedal sequences (including where the two rules differ), and
// random ones checked against literal, slow transcriptions of each rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applySustain, type SustainRule } from '../../src/midi/sustain.js';
import { notesFrom, notesToArray, type PedalEvent, type Performance } from '../../src/midi/notes.js';
import type { PlainNote } from './compare.js';

function performance(list: PlainNote[], pedal: PedalEvent[]): Performance {
  const notes = notesFrom(list);
  const duration = Math.max(0, ...list.map((n) => n.end), ...pedal.map((p) => p.time));
  return { notes, pedal: [...pedal].sort((a, b) => a.time - b.time), duration, format: 0, division: 480 };
}

/** The reference rule read word for word from reference-tokenizer.md: runs of down events, one after the other. */
function referenceLiteral(perf: Performance): number[] {
  const notes = notesToArray(perf.notes);
  const runs: Array<{ down: number; up: number }> = [];
  let previousDown = false;
  for (const e of perf.pedal) {
    const down = e.value >= 64;
    if (down && previousDown) runs[runs.length - 1].up = e.time;
    else if (down) runs.push({ down: e.time, up: e.time });
    previousDown = down;
  }
  for (const { down, up } of runs) {
    const affected = notes.filter((n) => n.end >= down && n.end < up);
    const ends = affected.map((n) => {
      const later = notes.filter((m) => m.pitch === n.pitch && m.start > n.start).map((m) => m.start);
      return later.length ? Math.min(Math.min(...later), up) : Math.max(n.end, up);
    });
    affected.forEach((n, i) => (n.end = ends[i]));
  }
  return notes.map((n) => n.end);
}

/** The musical rule as a simulation: is the pedal down when the key is released, and when does it come up? */
function musicalLiteral(perf: Performance): number[] {
  const notes = notesToArray(perf.notes);
  return notes.map((n) => {
    const before = perf.pedal.filter((e) => e.time <= n.end);
    if (before.length === 0 || before[before.length - 1].value < 64) return n.end;
    const lift = perf.pedal.slice(before.length).find((e) => e.value < 64)?.time ?? perf.duration;
    const restrikes = notes.filter((m) => m.pitch === n.pitch && m.start > n.start).map((m) => m.start);
    return Math.max(n.end, Math.min(lift, ...restrikes));
  });
}

function ends(perf: Performance, rule: SustainRule): number[] {
  return Array.from(applySustain(perf, { rule }).end);
}

// A dense pedal press from 1.0 to 2.0 whose last down event is at 1.5 (then up at 2.0).
const pedal = [
  { time: 1.0, value: 100 },
  { time: 1.5, value: 90 },
  { time: 2.0, value: 0 },
];
const notes: PlainNote[] = [
  { pitch: 60, velocity: 50, start: 0.5, end: 1.2 }, // released in both presses' windows
  { pitch: 62, velocity: 50, start: 0.5, end: 1.7 }, // released after the last down event: only 'musical' holds it
  { pitch: 64, velocity: 50, start: 0.2, end: 1.1 }, // re-struck at 1.3 while held
  { pitch: 64, velocity: 50, start: 1.3, end: 1.4 },
  { pitch: 65, velocity: 50, start: 0.0, end: 1.2 }, // same pitch struck at 0.5 while still down: 'reference' shortens it
  { pitch: 65, velocity: 50, start: 0.5, end: 0.8 },
  { pitch: 67, velocity: 50, start: 2.1, end: 2.5 }, // after the press: untouched
];

test('musical rule: held until the first up event, or the next strike of the same pitch', () => {
  const perf = performance(notes, pedal);
  const byNote = new Map(notesToArray(applySustain(perf)).map((n) => [`${n.pitch}@${n.start}`, n.end]));
  assert.deepEqual(Object.fromEntries(byNote), {
    '65@0': 1.2,
    '64@0.2': 1.3,
    '60@0.5': 2.0,
    '62@0.5': 2.0,
    '65@0.5': 0.8,
    '64@1.3': 2.0,
    '67@2.1': 2.5,
  });
  assert.deepEqual(ends(perf, 'musical'), musicalLiteral(perf));
});

test('reference rule: press ends at its last down event; re-struck pitches end at the next onset', () => {
  const perf = performance(notes, pedal);
  const byNote = new Map(
    notesToArray(applySustain(perf, { rule: 'reference' })).map((n) => [`${n.pitch}@${n.start}`, n.end]),
  );
  assert.deepEqual(Object.fromEntries(byNote), {
    '65@0': 0.5,
    '64@0.2': 1.3,
    '60@0.5': 1.5,
    '62@0.5': 1.7,
    '65@0.5': 0.8,
    '64@1.3': 1.5,
    '67@2.1': 2.5,
  });
  assert.deepEqual(ends(perf, 'reference'), referenceLiteral(perf));
});

test('a pedal never lifted: musical holds to the end of the performance, reference (one down event) does nothing', () => {
  const perf = performance(
    [
      { pitch: 60, velocity: 1, start: 0, end: 1 },
      { pitch: 61, velocity: 1, start: 3, end: 4 },
    ],
    [{ time: 0.5, value: 127 }],
  );
  assert.deepEqual(ends(perf, 'musical'), [4, 4]);
  assert.deepEqual(ends(perf, 'reference'), [1, 4]);
});

test('reference rule: a note carried to a press that ends where the next begins is carried on by that one', () => {
  // Presses [0, 3] and [3, 3.1]: up and down events at the same instant, as fortepyan's in-place loop sees them.
  const perf = performance(
    [{ pitch: 60, velocity: 1, start: 0, end: 0.1 }],
    [
      { time: 0, value: 100 },
      { time: 3, value: 64 },
      { time: 3, value: 0 },
      { time: 3, value: 64 },
      { time: 3.1, value: 64 },
    ],
  );
  assert.deepEqual(ends(perf, 'reference'), [3.1]);
  assert.deepEqual(ends(perf, 'reference'), referenceLiteral(perf));
  assert.deepEqual(ends(perf, 'musical'), [3]);
});

test('pitch, velocity, start and order are kept; the input is not changed', () => {
  const perf = performance(notes, pedal);
  const before = notesToArray(perf.notes);
  const out = applySustain(perf);
  assert.deepEqual(
    Array.from(out.pitch),
    before.map((n) => n.pitch),
  );
  assert.deepEqual(
    Array.from(out.start),
    before.map((n) => n.start),
  );
  assert.deepEqual(
    Array.from(out.velocity),
    before.map((n) => n.velocity),
  );
  assert.deepEqual(notesToArray(perf.notes), before);
});

test('random pedal sequences: both rules match their literal transcriptions', () => {
  const tenths = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((k) => k / 10);
  const note = fc
    .record({
      pitch: fc.integer({ min: 60, max: 63 }),
      velocity: fc.constant(64),
      start: tenths(0, 40),
      length: tenths(1, 15),
    })
    .map(({ length, ...n }) => ({ ...n, end: Math.round((n.start + length) * 10) / 10 }));
  const event = fc.record({ time: tenths(0, 60), value: fc.constantFrom(0, 30, 63, 64, 100, 127) });
  fc.assert(
    fc.property(fc.array(note, { maxLength: 30 }), fc.array(event, { maxLength: 20 }), (list, events) => {
      const perf = performance(list, events);
      assert.deepEqual(ends(perf, 'musical'), musicalLiteral(perf));
      assert.deepEqual(ends(perf, 'reference'), referenceLiteral(perf));
    }),
    { numRuns: 500 },
  );
});
