// readMidi on real data: every file of ../shared/data/asap (CC BY-NC-SA 4.0) must parse; on a
// sample our notes and pedal must agree with @tonejs/midi's, and survive writeMidi → readMidi.
// Skipped, visibly, where the data is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tonejs from '@tonejs/midi';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { writeMidi } from '../../src/midi/write.js';
import { notesToArray } from '../../src/midi/notes.js';
import { assertSameNotes, canonical } from './compare.js';
import { ASAP, skipWithoutAsap, midiFiles } from '../helpers/asap.js';

const { Midi } = tonejs;

test('every ASAP file parses; sustain keeps every note longer than zero', { skip: skipWithoutAsap }, (t) => {
  const files = midiFiles(ASAP);
  assert.ok(files.length > 0);
  let notes = 0;
  let pedal = 0;
  const warned: string[] = [];
  for (const file of files) {
    const perf = readMidi(readFileSync(file), file);
    assert.ok(perf.notes.length > 0, `${file}: no notes`);
    notes += perf.notes.length;
    pedal += perf.pedal.length;
    if (perf.warnings?.length) warned.push(...perf.warnings);
    for (const rule of ['musical', 'reference'] as const) {
      const held = applySustain(perf, { rule });
      for (let i = 0; i < held.length; i++) {
        assert.ok(held.end[i] > held.start[i], `${file}: ${rule} note ${i} ends at or before its start`);
        if (rule === 'musical')
          assert.ok(held.end[i] >= perf.notes.end[i], `${file}: musical sustain shortened note ${i}`);
      }
    }
  }
  t.diagnostic(`${files.length} files, ${notes} notes, ${pedal} pedal events, ${warned.length} warnings`);
  const kinds = new Map<string, number>();
  for (const w of warned) {
    const kind = w.replace(/^.*?: /, '').replace(/\d+/g, 'N');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, count] of kinds) t.diagnostic(`${count} × ${kind}`);
});

test('a sample of ASAP files: same notes and pedal as @tonejs/midi', { skip: skipWithoutAsap }, (t) => {
  // Every 20th file. tonejs pairs notes in O(n²) per track, so the whole corpus would take minutes.
  const sample = midiFiles(ASAP).filter((_, i) => i % 20 === 0);
  let zeroLength = 0;
  for (const file of sample) {
    const bytes = readFileSync(file);
    const perf = readMidi(bytes, file, { instruments: 'all' }); // tonejs reads every channel
    const midi = new Midi(bytes);
    const all = midi.tracks.flatMap((tr) =>
      tr.notes.map((n) => ({
        pitch: n.midi,
        velocity: Math.round(n.velocity * 127),
        start: n.time,
        end: n.time + n.duration,
      })),
    );
    // The one principled difference: tonejs keeps zero-length notes (note-on and note-off at one tick),
    // pretty_midi, and so readMidi, drops them.
    const theirs = canonical(all.filter((n) => n.end > n.start));
    zeroLength += all.length - theirs.length;
    assertSameNotes(canonical(notesToArray(perf.notes)), theirs, 1e-6, `${file} (ours vs tonejs)`);
    const theirPedal = midi.tracks.flatMap((tr) =>
      (tr.controlChanges[64] ?? []).map((c) => ({ time: c.time, value: Math.round(c.value * 127) })),
    );
    theirPedal.sort((a, b) => a.time - b.time || a.value - b.value);
    const ourPedal = [...perf.pedal].sort((a, b) => a.time - b.time || a.value - b.value);
    assert.equal(ourPedal.length, theirPedal.length, `${file}: pedal count`);
    ourPedal.forEach((p, i) =>
      assert.ok(Math.abs(p.time - theirPedal[i].time) < 1e-6 && p.value === theirPedal[i].value, `${file}: pedal ${i}`),
    );
  }
  t.diagnostic(`${sample.length} files agree; ${zeroLength} zero-length notes kept by tonejs and dropped by readMidi`);
});

test(
  'a sample of ASAP files survives writeMidi → readMidi on the 480 ppq, 120 bpm grid',
  { skip: skipWithoutAsap },
  () => {
    const secondsPerTick = 0.5 / 480;
    const snap = (t: number) => Math.round(t / secondsPerTick) * secondsPerTick;
    for (const file of midiFiles(ASAP).filter((_, i) => i % 20 === 10)) {
      const perf = readMidi(readFileSync(file), file);
      const back = readMidi(writeMidi(perf.notes, { pedal: perf.pedal }), `${file} (rewritten)`);
      assert.deepEqual(back.warnings, []);
      const want = canonical(
        notesToArray(perf.notes).map((n) => ({
          ...n,
          start: snap(n.start),
          end: Math.max(snap(n.end), snap(n.start) + secondsPerTick),
        })),
      );
      assertSameNotes(canonical(notesToArray(back.notes)), want, 1e-9, `${file} (rewritten)`);
      assert.equal(back.pedal.length, perf.pedal.length, `${file}: pedal count`);
      back.pedal.forEach((p, i) =>
        assert.ok(
          Math.abs(p.time - perf.pedal[i].time) <= secondsPerTick / 2 + 1e-9 && p.value === perf.pedal[i].value,
          `${file}: pedal ${i}`,
        ),
      );
    }
  },
);

test(
  "ASAP is piano only: 'piano' leaves out no note and sustains every note as 'all' does",
  { skip: skipWithoutAsap },
  (t) => {
    // The default policy must not change the tokens of the reference data; only pedal copies on note-less channels go.
    let ignored = 0;
    for (const file of midiFiles(ASAP)) {
      const bytes = readFileSync(file);
      const piano = readMidi(bytes, file);
      const all = readMidi(bytes, file, { instruments: 'all' });
      assert.deepEqual(piano.dropped?.notes, [], `${file}: notes left out`);
      for (const d of piano.dropped?.pedal ?? []) ignored += d.events;
      for (const rule of ['musical', 'reference'] as const) {
        assertSameNotes(
          notesToArray(applySustain(piano, { rule })),
          notesToArray(applySustain(all, { rule })),
          0,
          `${file} (${rule})`,
        );
      }
    }
    t.diagnostic(`${ignored} pedal events on channels without notes ignored`);
  },
);
