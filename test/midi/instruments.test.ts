// The instrument policies as readMidi applies them, on hand-built files: which notes and pedal events
// 'piano' keeps (GM pianos off the drum channel, the pedal of their channels) and reports, and that
// 'all' reads every note and pedal event as motif did before it had a choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDropped, recordedInstruments } from '../../src/midi/instruments.js';
import { notesToArray, type Notes } from '../../src/midi/notes.js';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import {
  BAND_DRUMS,
  BAND_PEDAL,
  BAND_PIANO,
  BAND_VELOCITY,
  BAND_VIOLIN,
  bandFile,
  bandSeconds,
} from '../helpers/band.js';
import { canonical } from './compare.js';
import { ev, smf, track } from '../helpers/smf.js';

const plain = (list: ReadonlyArray<readonly [number, number, number]>) =>
  list.map(([pitch, start, end]) => ({
    pitch,
    velocity: BAND_VELOCITY,
    start: bandSeconds(start),
    end: bandSeconds(end),
  }));
const pitches = (notes: Notes): number[] => Array.from(notes.pitch);

test("'piano' keeps the piano, leaves out drums and the violin with its pedal, and says so", () => {
  const perf = readMidi(bandFile(), 'band.mid');
  assert.deepEqual(notesToArray(perf.notes), plain(BAND_PIANO));
  assert.deepEqual(perf.pedal, [], "the violin's pedal would sustain nothing the piano plays");
  assert.deepEqual(perf.dropped, {
    notes: [
      { channel: 2, program: 41, notes: BAND_VIOLIN.length },
      { channel: 10, program: null, notes: BAND_DRUMS.length },
    ],
    pedal: [{ channel: 2, events: 2 }],
  });
  assert.deepEqual(describeDropped(perf.dropped!), [
    '3 notes of program 41 (strings) on channel 2',
    '4 notes on channel 10 (drums)',
    '2 pedal events on channel 2, which has no piano notes',
  ]);
  // The pedal is gone, so sustain leaves the piano's notes as played.
  assert.deepEqual(notesToArray(applySustain(perf)), plain(BAND_PIANO));
});

test("'all' keeps every note and every channel's pedal, as motif read files before the choice", () => {
  const perf = readMidi(bandFile(), 'band.mid', { instruments: 'all' });
  assert.deepEqual(
    canonical(notesToArray(perf.notes)),
    canonical(plain([...BAND_PIANO, ...BAND_DRUMS, ...BAND_VIOLIN])),
  );
  assert.deepEqual(perf.pedal, [
    { time: bandSeconds(BAND_PEDAL[0]), value: 127 },
    { time: bandSeconds(BAND_PEDAL[1]), value: 0 },
  ]);
  assert.deepEqual(perf.dropped, { notes: [], pedal: [] });
  // The violin's pedal holds the piano's first note to the pedal-up: the behaviour 'piano' removes.
  const held = applySustain(perf);
  const first = notesToArray(held).find((n) => n.pitch === 60)!;
  assert.equal(first.end, bandSeconds(BAND_PEDAL[1]));
});

test("a piano's pedal sustains all its notes, whichever of its channels carries the pedal", () => {
  // Right hand on channel 1, left hand on channel 2 (both pianos), the pedal on the left hand's channel only.
  const bytes = smf(
    1,
    100,
    track(ev(0, 0x90, 72, 60), ev(100, 0x80, 72, 0)),
    track(ev(0, 0xc1, 1), ev(0, 0x91, 48, 60), ev(0, 0xb1, 64, 127), ev(100, 0x81, 48, 0), ev(100, 0xb1, 64, 0)),
  );
  const perf = readMidi(bytes, 'hands.mid');
  assert.deepEqual(perf.dropped, { notes: [], pedal: [] });
  assert.deepEqual(
    notesToArray(applySustain(perf)).map((n) => [n.pitch, n.end]),
    [
      [48, 1],
      [72, 1],
    ],
  );
});

test('programs change mid-file per channel; a change applies from its own tick on', () => {
  // Channel 4: a piano note, then program 49 (string ensemble) at tick 200 with a note at that very tick, then program 2 (a piano again).
  const bytes = smf(
    0,
    100,
    track(
      ev(0, 0x93, 60, 50),
      ev(100, 0x83, 60, 0),
      ev(100, 0xc3, 48),
      ev(0, 0x93, 62, 50),
      ev(100, 0x83, 62, 0),
      ev(100, 0xc3, 1),
      ev(0, 0x93, 64, 50),
      ev(100, 0x83, 64, 0),
    ),
  );
  const perf = readMidi(bytes, 'change.mid');
  assert.deepEqual(pitches(perf.notes), [60, 64]);
  assert.deepEqual(perf.dropped?.notes, [{ channel: 4, program: 49, notes: 1 }]);
});

test('format 1 shares a channel program over tracks; format 2 keeps it within its track', () => {
  const tracks = [
    track(ev(0, 0xc0, 40), ev(0, 0x90, 60, 50), ev(100, 0x80, 60, 0)),
    track(ev(0, 0x90, 62, 50), ev(100, 0x80, 62, 0)),
  ];
  assert.deepEqual(
    pitches(readMidi(smf(1, 100, ...tracks), 'one.mid').notes),
    [],
    'format 1: the violin program holds for channel 1 in both tracks',
  );
  assert.deepEqual(
    pitches(readMidi(smf(2, 100, ...tracks), 'two.mid').notes),
    [62],
    'format 2: the second sequence starts on GM program 1',
  );
});

test('a record without a policy reads as the one motif used before the choice existed', () => {
  assert.equal(recordedInstruments(undefined), 'all');
  assert.equal(recordedInstruments('all'), 'all');
  assert.equal(recordedInstruments('piano'), 'piano');
});
