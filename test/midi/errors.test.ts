// Bad input: each broken file, built here byte by byte, must give a MidiError naming the file and the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readMidi, MAX_MIDI_BYTES } from '../../src/midi/read.js';
import { MidiError } from '../../src/midi/errors.js';
import { chunk, ev, header, smf, tempo, track } from '../helpers/smf.js';

function rejects(bytes: Uint8Array, message: RegExp): void {
  assert.throws(
    () => readMidi(bytes, 'bad.mid'),
    (e: unknown) => {
      assert.ok(e instanceof MidiError, `not a MidiError: ${String(e)}`);
      assert.equal(e.file, 'bad.mid');
      assert.match(e.message, /^bad\.mid: /);
      assert.match(e.message, message);
      return true;
    },
  );
}

const good = smf(1, 480, track(tempo(0, 500_000)), track(ev(0, 0x90, 60, 64), ev(480, 0x80, 60, 0)));

test('a good file reads (the baseline the broken ones are cut from)', () => {
  assert.equal(readMidi(good, 'good.mid').notes.length, 1);
});

test('zero-length file', () => rejects(new Uint8Array(0), /empty file \(0 bytes\)/));

test('not a MIDI file', () => {
  rejects(Uint8Array.from(Buffer.from('RIFF....WAVEfmt ', 'latin1')), /not a MIDI file \(no MThd header\)/);
  rejects(Uint8Array.from([0x4d, 0x54]), /not a MIDI file/);
});

test('truncated or invalid header', () => {
  rejects(good.slice(0, 10), /truncated header \(10 bytes\)/);
  rejects(Uint8Array.from(chunk('MThd', [0, 1, 0, 1])), /truncated header|header chunk too short/);
  rejects(Uint8Array.from([...chunk('MThd', [0, 1, 0, 1, 1, 0xe0], 20)]), /truncated header \(declares 20 bytes/);
  rejects(Uint8Array.from(header(3, 1, 480)), /unknown SMF format 3/);
  rejects(Uint8Array.from([...header(0, 1, 0), ...track()]), /division of 0 ticks per quarter note/);
  rejects(Uint8Array.from([...header(0, 1, 0xe600 | 40), ...track()]), /invalid SMPTE frame rate 26/);
  rejects(Uint8Array.from(header(1, 2, 480)), /truncated file: header declares 2 tracks, found 0/);
});

test('truncated track, at every cut inside the second track', () => {
  const secondTrack = 14 + 8 + 7 + 4; // header, then track 0: chunk header, tempo, end-of-track
  for (let cut = secondTrack; cut < good.length; cut++) {
    rejects(
      good.slice(0, cut),
      new RegExp(
        `^bad\\.mid: truncated (track 1 at byte ${cut}|file: track 1 cut at byte ${cut}|file: header declares 2 tracks, found 1)$`,
      ),
    );
  }
});

test('garbage bytes: invalid status, data byte where status expected, bad data byte, garbage chunk', () => {
  rejects(smf(0, 96, track(ev(0, 0xf4))), /invalid status byte 0xF4 in track 0 at byte 23/);
  rejects(smf(0, 96, track(ev(0, 60, 100))), /data byte 0x3C without a status byte in track 0/);
  rejects(smf(0, 96, track(ev(0, 0x90, 60, 0xc8))), /garbage in track 0 at byte 25: data byte 0xC8 after status 0x90/);
  rejects(
    Uint8Array.from([...header(1, 2, 96), ...track(), 0x00, 0x13, 0xfe, 0x99, 0, 0, 0, 0]),
    /garbage bytes at byte 26 where track 1 should start/,
  );
});

test('variable-length quantity longer than 4 bytes', () => {
  rejects(
    smf(0, 96, track([0x81, 0x80, 0x80, 0x80, 0x00, 0x90, 60, 1])),
    /variable-length quantity longer than 4 bytes in track 0 at byte 22/,
  );
  rejects(
    smf(0, 96, track([0, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f])),
    /variable-length quantity longer than 4 bytes/,
  );
});

test('absurd times: a file claiming more than 24 hours', () => {
  // 4-byte deltas of 0x0FFFFFFF ticks at 96 ppq and 120 bpm: about 16 days each.
  const huge = [0xff, 0xff, 0xff, 0x7f];
  rejects(
    smf(0, 96, track([...huge, 0x90, 60, 1], [...huge, 0x80, 60, 0])),
    /absurd time: track 0 lasts \d+\.\d h \(limit 24 h\)/,
  );
  // The same delta at a fast tempo is under 24 h and reads.
  assert.equal(
    readMidi(smf(0, 960, track(tempo(0, 2000), [...huge, 0x90, 60, 1], ev(1, 0x80, 60, 0))), 'fast.mid').notes.length,
    1,
  );
});

test('huge files are refused before parsing, with the limit in the message', () => {
  // A view claiming MAX+1 bytes without allocating them: length is all readMidi checks first.
  const fake = new Proxy(new Uint8Array(16), {
    get: (t, k) => (k === 'length' ? MAX_MIDI_BYTES + 1 : Reflect.get(t, k)),
  });
  rejects(fake, new RegExp(`file too large \\(${MAX_MIDI_BYTES + 1} bytes; the limit is 256 MiB\\)`));
});

test('an error in one file leaves the reader clean for the next', () => {
  rejects(smf(0, 96, track(ev(0, 0x90, 60, 1), ev(0, 0x90, 61, 1), ev(0, 0xf4))), /invalid status/);
  const perf = readMidi(smf(0, 96, track(ev(0, 0x90, 62, 1), ev(96, 0x80, 62, 0))), 'next.mid');
  assert.deepEqual(Array.from(perf.notes.pitch), [62]);
  assert.deepEqual(perf.warnings, []);
});

test('random damage to a good file: either a Performance with valid notes or a MidiError, never anything else', () => {
  const base = smf(
    1,
    96,
    track(tempo(0, 400_000), ev(0, 0xff, 0x01, 3, 0x61, 0x62, 0x63), tempo(200, 300_000)),
    track(
      ev(0, 0x90, 60, 64),
      ev(0, 67, 70),
      ev(96, 0xb0, 64, 127),
      ev(0, 0xf0, 2, 1, 0xf7),
      ev(96, 0x80, 60, 0),
      ev(0, 0x90, 67, 0),
      ev(48, 0xb0, 64, 0),
    ),
  );
  const damage = fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 4,
  });
  fc.assert(
    fc.property(damage, fc.nat({ max: base.length }), (edits, cut) => {
      const bytes = base.slice(0, Math.max(cut, 1));
      for (const { at, byte } of edits) if (at < bytes.length) bytes[at] = byte;
      let perf;
      try {
        perf = readMidi(bytes, 'fuzz.mid');
      } catch (e) {
        assert.ok(e instanceof MidiError, `not a MidiError: ${String(e)}`);
        return;
      }
      const { start, end, pitch } = perf.notes;
      for (let i = 0; i < perf.notes.length; i++) {
        assert.ok(end[i] > start[i] && start[i] >= 0 && Number.isFinite(end[i]));
        if (i > 0) assert.ok(start[i - 1] < start[i] || (start[i - 1] === start[i] && pitch[i - 1] <= pitch[i]));
      }
      for (let i = 1; i < perf.pedal.length; i++) assert.ok(perf.pedal[i - 1].time <= perf.pedal[i].time);
    }),
    { numRuns: 3000 },
  );
});
