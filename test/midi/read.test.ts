// Tests of readMidi on hand-built files: timing (PPQ, tempo maps, SMPTE), event syntax (running
// status, sysex, meta), note pairing as pretty_midi does it, pedal events, order and warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMidi } from '../../src/midi/read.js';
import { notesToArray, type Performance } from '../../src/midi/notes.js';
import { chunk, eot, ev, header, smf, tempo, track } from '../helpers/smf.js';
import { assertSameNotes, type PlainNote } from './compare.js';

/** Seconds at `tick` under tempo changes [tick, µs per quarter], summed segment by segment. */
function seconds(tick: number, ppq: number, changes: Array<[number, number]> = []): number {
  const all: Array<[number, number]> = [[0, 500_000], ...changes];
  let total = 0;
  for (let i = 0; i < all.length; i++) {
    const [from, us] = all[i];
    const to = Math.min(tick, i + 1 < all.length ? all[i + 1][0] : Infinity);
    if (to > from) total += ((to - from) * us) / 1e6 / ppq;
  }
  return total;
}

/** Expected notes from [pitch, velocity, startTick, endTick], sorted by start then pitch. */
function expected(list: Array<[number, number, number, number]>, toSeconds: (tick: number) => number): PlainNote[] {
  return list
    .map(([pitch, velocity, s, e]) => ({ pitch, velocity, start: toSeconds(s), end: toSeconds(e) }))
    .sort((a, b) => a.start - b.start || a.pitch - b.pitch);
}

function assertNotes(perf: Performance, want: PlainNote[]): void {
  assertSameNotes(notesToArray(perf.notes), want, 1e-9, 'notes');
}

test('format 0: running status, velocity-0 note-off, sysex and meta skipped, channels merged', () => {
  const bytes = smf(
    0,
    480,
    track(
      ev(0, 0xff, 0x03, 5, ...Buffer.from('piano')), // track name
      ev(0, 0xf0, 3, 0x7e, 0x7f, 0xf7), // sysex
      ev(0, 0x90, 60, 100),
      ev(0, 64, 90), // running status: note-on 64
      ev(240, 0xf7, 2, 0x01, 0x02), // sysex escape
      ev(0, 60, 0), // running status survives sysex (as in mido and tonejs): velocity 0 = note-off
      ev(240, 0x80, 64, 10),
      ev(0, 0x91, 67, 80), // another channel
      ev(0, 0xc0, 5), // program change: one data byte
      ev(0, 0xe0, 0, 64), // pitch bend
      ev(480, 0x81, 67, 0),
    ),
  );
  const perf = readMidi(bytes, 'f0.mid');
  assert.equal(perf.format, 0);
  assert.equal(perf.division, 480);
  assert.deepEqual(perf.warnings, []);
  assertNotes(
    perf,
    expected(
      [
        [60, 100, 0, 240],
        [64, 90, 0, 480],
        [67, 80, 480, 960],
      ],
      (t) => seconds(t, 480),
    ),
  );
  assert.ok(Math.abs(perf.duration - seconds(960, 480)) < 1e-12);
});

test('format 1: tempo map of track 0 applies to the other tracks', () => {
  const changes: Array<[number, number]> = [
    [0, 600_000],
    [960, 250_000],
    [1200, 1_000_000],
  ];
  const bytes = smf(
    1,
    480,
    track(tempo(0, 600_000), tempo(960, 250_000), tempo(240, 1_000_000)),
    track(ev(100, 0x90, 60, 50), ev(1000, 0x80, 60, 0), ev(0, 0x90, 62, 51), ev(500, 0x90, 62, 0)),
  );
  assertNotes(
    readMidi(bytes, 'f1.mid'),
    expected(
      [
        [60, 50, 100, 1100],
        [62, 51, 1100, 1600],
      ],
      (t) => seconds(t, 480, changes),
    ),
  );
});

test('format 1: tempo events of any track apply to all tracks', () => {
  const changes: Array<[number, number]> = [[300, 1_000_000]];
  const bytes = smf(1, 96, track(ev(0, 0x90, 70, 1), ev(600, 0x80, 70, 0)), track(tempo(300, 1_000_000)));
  assertNotes(
    readMidi(bytes, 'f1b.mid'),
    expected([[70, 1, 0, 600]], (t) => seconds(t, 96, changes)),
  );
});

test('format 2: each track keeps its own tempo', () => {
  const bytes = smf(
    2,
    100,
    track(tempo(0, 1_000_000), ev(0, 0x90, 60, 10), ev(100, 0x80, 60, 0)),
    track(ev(0, 0x90, 61, 10), ev(100, 0x80, 61, 0)),
  );
  const perf = readMidi(bytes, 'f2.mid');
  assert.equal(perf.format, 2);
  assertNotes(perf, [
    { pitch: 60, velocity: 10, start: 0, end: seconds(100, 100, [[0, 1_000_000]]) },
    { pitch: 61, velocity: 10, start: 0, end: seconds(100, 100) },
  ]);
});

test('SMPTE division: ticks are frames × subframes, tempo events ignored', () => {
  for (const [fps, rate] of [
    [25, 25],
    [24, 24],
    [30, 30],
    [29, 29.97],
  ]) {
    const ticksPerFrame = 40;
    const division = ((256 - fps) << 8) | ticksPerFrame;
    const bytes = smf(0, division, track(tempo(0, 123_456), ev(500, 0x90, 60, 1), ev(1500, 0x80, 60, 0)));
    const perf = readMidi(bytes, 'smpte.mid');
    const perTick = 1 / (rate * ticksPerFrame);
    assert.ok(Math.abs(perf.division + rate * ticksPerFrame) < 1e-9);
    assertNotes(perf, [{ pitch: 60, velocity: 1, start: 500 * perTick, end: 2000 * perTick }]);
  }
});

test('pairing follows pretty_midi: one note-off ends every earlier open note of its channel and pitch', () => {
  const bytes = smf(
    0,
    100,
    track(
      ev(0, 0x90, 60, 10), // A
      ev(10, 0x90, 60, 20), // B, stacked on A
      ev(10, 0x80, 60, 0), // ends A and B at 20
      ev(0, 0x80, 60, 0), // spurious: ignored
      ev(10, 0x90, 62, 30), // C at 30
      ev(10, 0x90, 62, 31), // D at 40 ...
      ev(0, 0x80, 62, 0), // ... off at 40: ends C, keeps D (started at this tick)
      ev(10, 0x80, 62, 0), // ends D at 50
      ev(0, 0x90, 64, 40), // E on and off at the same tick: no note
      ev(0, 0x80, 64, 0),
      ev(10, 0x90, 65, 50), // F at 60 ...
      ev(10, 0x80, 65, 0), // ... ended at 70
      ev(0, 0x90, 65, 51), // G re-struck at 70, after the off
      ev(0, 0x91, 66, 60), // H on channel 1 ...
      ev(10, 0x80, 66, 0), // ... not ended by channel 0
      ev(10, 0x81, 66, 0), // ended at 90
      ev(10, 0x80, 65, 0), // G ends at 100
    ),
  );
  const perf = readMidi(bytes, 'pairs.mid');
  const toSec = (t: number): number => seconds(t, 100);
  assertNotes(
    perf,
    expected(
      [
        [60, 10, 0, 20],
        [60, 20, 10, 20],
        [62, 30, 30, 40],
        [62, 31, 40, 50],
        [65, 50, 60, 70],
        [65, 51, 70, 100],
        [66, 60, 70, 90],
      ],
      toSec,
    ),
  );
  assert.deepEqual(perf.warnings, ['pairs.mid: 1 zero-length notes dropped']);
});

test('notes come out sorted by start, then pitch, across tracks and chords', () => {
  const bytes = smf(
    1,
    100,
    track(
      ev(0, 0x90, 72, 1),
      ev(0, 0x90, 48, 2),
      ev(0, 0x90, 60, 3),
      ev(50, 0x80, 72, 0),
      ev(0, 0x80, 48, 0),
      ev(0, 0x80, 60, 0),
    ),
    track(ev(0, 0x90, 50, 4), ev(25, 0x90, 40, 5), ev(25, 0x80, 50, 0), ev(0, 0x80, 40, 0)),
    track(ev(10, 0x90, 55, 6), ev(10, 0x80, 55, 0)),
  );
  const got = notesToArray(readMidi(bytes, 'order.mid').notes).map((n) => n.pitch);
  assert.deepEqual(got, [48, 50, 60, 72, 55, 40]);
});

test("'all' instruments: CC64 events of all tracks and channels are collected, in time order", () => {
  const bytes = smf(
    1,
    100,
    track(ev(10, 0xb0, 64, 127), ev(20, 0xb0, 7, 100), ev(20, 0xb0, 64, 0)),
    track(ev(20, 0xb3, 64, 70), ev(30, 64, 10)), // running status on channel 3
  );
  const perf = readMidi(bytes, 'pedal.mid', { instruments: 'all' });
  assert.deepEqual(
    perf.pedal.map((p) => [p.time, p.value]),
    [
      [10, 127],
      [20, 70],
      [50, 0],
      [50, 10],
    ].map(([t, v]) => [seconds(t, 100), v]),
  );
});

test('recoverable oddities become warnings', () => {
  const noEot = Uint8Array.from([
    ...header(0, 1, 100),
    ...chunk('MTrk', [...ev(0, 0x90, 60, 1), ...ev(10, 0x80, 60, 0)]),
  ]);
  let perf = readMidi(noEot, 'a.mid');
  assert.equal(perf.notes.length, 1);
  assert.deepEqual(perf.warnings, ['a.mid: track 0 has no end-of-track event']);

  perf = readMidi(
    smf(0, 100, track(ev(0, 0x90, 60, 1), ev(0, 0x90, 61, 1), ev(10, 0x80, 61, 0), ev(20, 0xb0, 1, 1))),
    'b.mid',
  );
  assertNotes(perf, [
    { pitch: 60, velocity: 1, start: 0, end: seconds(30, 100) },
    { pitch: 61, velocity: 1, start: 0, end: seconds(10, 100) },
  ]);
  assert.deepEqual(perf.warnings, ['b.mid: 1 notes without a note-off in track 0, closed at the end of the track']);

  const body = [...ev(0, 0x90, 60, 1), ...ev(10, 0x80, 60, 0), ...eot()];
  perf = readMidi(Uint8Array.from([...header(0, 1, 100), ...chunk('MTrk', [...body, 0, 0, 0])]), 'c.mid');
  assert.equal(perf.notes.length, 1);
  assert.deepEqual(perf.warnings, ['c.mid: 3 bytes after the end-of-track of track 0 ignored']);

  perf = readMidi(Uint8Array.from([...header(0, 1, 100), ...chunk('MTrk', body, body.length + 50)]), 'd.mid');
  assert.equal(perf.notes.length, 1);
  assert.deepEqual(perf.warnings, [
    `d.mid: track 0 declares ${body.length + 50} bytes but the file ends at byte ${14 + 8 + body.length}; read up to its end-of-track`,
  ]);

  perf = readMidi(
    Uint8Array.from([
      ...header(1, 1, 100),
      ...chunk('MTrk', body),
      ...chunk('XFIH', [1, 2, 3]),
      ...chunk('MTrk', body),
      0xff,
      0,
    ]),
    'e.mid',
  );
  assert.equal(perf.notes.length, 2);
  assert.deepEqual(perf.warnings, [
    'e.mid: 2 trailing bytes after the last chunk ignored',
    'e.mid: header declares 1 tracks, found 2',
  ]);

  perf = readMidi(smf(0, 100, chunk('MTrk', body), chunk('MTrk', body)), 'f.mid');
  assert.equal(perf.notes.length, 2);
  assert.deepEqual(perf.warnings, ['f.mid: format 0 with 2 tracks; read as format 1']);
});
