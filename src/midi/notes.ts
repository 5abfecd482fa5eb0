// Notes of one performance: the compact typed representation every later stage reads.
// Struct of arrays (one typed array per field) because a corpus holds millions of notes.
// This file holds types and tiny helpers only; reading, writing and the pedal live beside it.

import type { Dropped } from './instruments.js';

/** Notes as parallel arrays; `start`/`end` in seconds. Kept sorted by start, then pitch. */
export interface Notes {
  readonly length: number;
  readonly pitch: Uint8Array; // MIDI pitch 0..127
  readonly velocity: Uint8Array; // 1..127
  readonly start: Float64Array; // seconds
  readonly end: Float64Array; // seconds, > start
}

/** A sustain-pedal (CC64) change: time in seconds, controller value 0..127. */
export interface PedalEvent {
  readonly time: number;
  readonly value: number;
}

/** What motif keeps of a MIDI file: notes (pedal not yet applied), pedal events and timing facts. */
export interface Performance {
  readonly notes: Notes;
  readonly pedal: PedalEvent[]; // sorted by time, all kept channels merged
  readonly duration: number; // seconds, end of the last event
  readonly format: 0 | 1 | 2;
  readonly division: number; // ticks per quarter note, or -(SMPTE ticks per second) when SMPTE
  readonly warnings?: readonly string[]; // recoverable oddities met while reading, each naming the file
  readonly dropped?: Dropped; // notes and pedal events the instrument policy left out (absent where no policy was applied)
}

/** Allocates `n` notes, zeroed. */
export function allocNotes(n: number): Notes {
  return {
    length: n,
    pitch: new Uint8Array(n),
    velocity: new Uint8Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
  };
}

/** Builds Notes from plain objects (tests, small inputs), sorted by start then pitch. */
export function notesFrom(list: ReadonlyArray<{ pitch: number; velocity: number; start: number; end: number }>): Notes {
  const order = list.map((_, i) => i).sort((a, b) => list[a].start - list[b].start || list[a].pitch - list[b].pitch);
  const notes = allocNotes(list.length);
  order.forEach((src, dst) => {
    const n = list[src];
    notes.pitch[dst] = n.pitch;
    notes.velocity[dst] = n.velocity;
    notes.start[dst] = n.start;
    notes.end[dst] = n.end;
  });
  return notes;
}

/** Plain objects of the notes, for printing and tests. */
export function notesToArray(notes: Notes): Array<{ pitch: number; velocity: number; start: number; end: number }> {
  return Array.from({ length: notes.length }, (_, i) => ({
    pitch: notes.pitch[i],
    velocity: notes.velocity[i],
    start: notes.start[i],
    end: notes.end[i],
  }));
}
