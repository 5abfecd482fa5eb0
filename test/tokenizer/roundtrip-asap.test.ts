// Round trip over every MIDI file of ../shared/data/asap (from the project root): MIDI → notes → sustain →
// tokens → notes, for both schemes, checked note by note with roundtrip-check.ts (exptime: the reference
// pairing exactly and 5 ms per time; logbin: one-to-one within the error-feedback bound).
// Skips, with a visible message, where the data set is absent (a clone without ../shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import type { Notes } from '../../src/midi/notes.js';
import { ExpTimeTokenizer } from '../../src/tokenizer/exptime.js';
import { LogBinTokenizer } from '../../src/tokenizer/logbin.js';
import { checkExpTime, checkLogBin, emptyStats, type CheckStats } from './roundtrip-check.js';
import { ASAP, midiFiles, skipWithoutAsap } from '../helpers/asap.js';

function loadAll(): Array<{ name: string; notes: Notes }> {
  return midiFiles(ASAP).map((file) => {
    const name = relative(ASAP, file);
    return { name, notes: applySustain(readMidi(readFileSync(file), name)) };
  });
}

const pieces = skipWithoutAsap ? [] : loadAll();

function summary(stats: CheckStats): string {
  return `${stats.notes} notes, max start error ${(stats.maxStartError * 1000).toFixed(2)} ms, max end error ${(stats.maxEndError * 1000).toFixed(2)} ms`;
}

test('ASAP: every file parses into notes', { skip: skipWithoutAsap }, () => {
  assert.ok(pieces.length >= 1000, `only ${pieces.length} MIDI files under ${ASAP}`);
  assert.ok(pieces.every((p) => p.notes.length > 0));
});

test(
  'ASAP round trip, exptime: the reference pairing exactly, each time within 5 ms (+10 ms zero-length rule)',
  { skip: skipWithoutAsap },
  (t) => {
    const scheme = new ExpTimeTokenizer();
    const stats = emptyStats();
    for (const { name, notes } of pieces)
      checkExpTime(notes, scheme.decode(scheme.encode(notes)), scheme.params, name, stats);
    t.diagnostic(
      `exptime: ${pieces.length} files, ${summary(stats)} (notes re-paired by same-pitch overlaps: ${stats.repaired}, not bounded)`,
    );
  },
);

test(
  'ASAP round trip, logbin: one-to-one after same-pitch cuts, each time within the error-feedback bound',
  { skip: skipWithoutAsap },
  (t) => {
    const scheme = new LogBinTokenizer();
    const stats = emptyStats();
    let skipped = 0;
    for (const { name, notes } of pieces) {
      checkLogBin(notes, scheme.decode(scheme.encode(notes)), scheme.params, name, stats);
      skipped += scheme.skippedNotes(notes);
    }
    t.diagnostic(
      `logbin: ${pieces.length} files, ${summary(stats)}, ${skipped} notes skipped (pitch range, duplicate onsets)`,
    );
  },
);
