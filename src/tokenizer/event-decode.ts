// The decoder both base schemes share: ids → notes, pairing NOTE_ON and NOTE_OFF tokens with the reference's
// rules. Time is the scheme's: it hands in DecodeRules, and time tokens carry their value in the layout.
// Typed arrays throughout, nothing allocated per note. Not an encoder (each scheme, with event-order.ts).
import { allocNotes, type Notes } from '../midi/notes.js';
import { onsetOrder } from './event-order.js';
import type { VelocityBins } from './velocity.js';
import { Kind, type VocabLayout } from './vocab-layout.js';

/** How a scheme's decoder reads time and orders events. */
export interface DecodeRules {
  /** Seconds per unit of accumulated time-token value (exptime counts steps; logbin sums seconds). */
  readonly scale: number;
  /** Added to the end of a note whose end equals its start, in time-token units (before `scale`). */
  readonly minDuration: number;
  /**
   * The reference re-sorts the events between two time tokens (offs first, ons by pitch and velocity).
   * Without it events apply in token order, which keeps a note whose on and off share a time.
   */
  readonly reorderTies: boolean;
}

/**
 * Ids → notes, with the reference's rules: time tokens accumulate; VELOCITY sets the velocity of the
 * following NOTE_ONs; at equal times note-offs are applied before note-ons (if `reorderTies`);
 * a NOTE_ON of a pitch already sounding closes that note first; a NOTE_OFF with nothing open is ignored;
 * notes still open at the end are dropped. Output sorted by start, then pitch, then opening order.
 */
export function decodeEvents(
  ids: ArrayLike<number>,
  layout: VocabLayout,
  velocities: VelocityBins,
  rules: DecodeRules,
): Notes {
  const { kind, value } = layout;
  const capacity = countNoteEvents(ids, kind);
  const notes = new NotePairing(capacity, rules.minDuration);
  const group = new TimeGroup(capacity);
  // Times stay in time-token units until the end, so that exptime's times stay exact multiples of the unit.
  let time = 0;
  // Before any VELOCITY token, the bin of velocity 64 (the reference would use 0, which MIDI reads as a note-off).
  let velocity = velocities.velocity(velocities.bin(64));
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (!(id >= 0 && id < kind.length)) continue;
    switch (kind[id]) {
      case Kind.Time:
        if (group.size > 0) group.apply(notes, time);
        time += value[id];
        break;
      case Kind.Velocity:
        velocity = velocities.velocity(value[id]);
        break;
      case Kind.On:
      case Kind.Off:
        group.add(value[id], velocity, kind[id] === Kind.On);
        if (!rules.reorderTies) group.apply(notes, time);
        break;
    }
  }
  if (group.size > 0) group.apply(notes, time);
  return sortByOnset(notes.closedNotes(rules.scale));
}

/** How many NOTE_ON and NOTE_OFF ids there are: an upper bound on notes and on a time group's size. */
function countNoteEvents(ids: ArrayLike<number>, kind: Uint8Array): number {
  let events = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (id >= 0 && id < kind.length && (kind[id] === Kind.On || kind[id] === Kind.Off)) events++;
  }
  return events;
}

/**
 * Notes as the decoder opens and closes them, stored in opening order (which is time order, so no sort by
 * start is needed at the end), with the open note of each pitch. Times in time-token units.
 */
class NotePairing {
  readonly pitch: Uint8Array;
  readonly velocity: Uint8Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly closed: Uint8Array;
  /** Per pitch: whether a note is sounding, and which one. */
  readonly isOpen = new Uint8Array(128);
  private readonly openSeq = new Int32Array(128);
  private opened = 0;
  private count = 0;

  constructor(
    capacity: number,
    private readonly minDuration: number,
  ) {
    this.pitch = new Uint8Array(capacity);
    this.velocity = new Uint8Array(capacity);
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
    this.closed = new Uint8Array(capacity);
  }

  /** Starts a note of pitch p at time t, closing the one already sounding on p. */
  open(p: number, velocity: number, t: number): void {
    if (this.isOpen[p]) this.close(p, t);
    const seq = this.opened++;
    this.pitch[seq] = p;
    this.velocity[seq] = velocity;
    this.start[seq] = t;
    this.openSeq[p] = seq;
    this.isOpen[p] = 1;
  }

  /** Ends the note sounding on pitch p at time t (a zero-length note lasts minDuration). */
  close(p: number, t: number): void {
    const seq = this.openSeq[p];
    this.end[seq] = t > this.start[seq] ? t : this.start[seq] + this.minDuration;
    this.closed[seq] = 1;
    this.count++;
    this.isOpen[p] = 0;
  }

  /** The closed notes in opening order, times multiplied by `scale` (to seconds); open ones are dropped. */
  closedNotes(scale: number): Notes {
    const out = allocNotes(this.count);
    for (let seq = 0, i = 0; seq < this.opened; seq++) {
      if (!this.closed[seq]) continue;
      out.pitch[i] = this.pitch[seq];
      out.velocity[i] = this.velocity[seq];
      out.start[i] = this.start[seq] * scale;
      out.end[i] = this.end[seq] * scale;
      i++;
    }
    return out;
  }
}

/** The note events between two time tokens, applied together: offs first, then ons by (pitch, velocity). */
class TimeGroup {
  private readonly pitch: Uint8Array;
  private readonly velocity: Uint8Array;
  private readonly on: Uint8Array;
  size = 0;

  constructor(capacity: number) {
    this.pitch = new Uint8Array(capacity);
    this.velocity = new Uint8Array(capacity);
    this.on = new Uint8Array(capacity);
  }

  add(pitch: number, velocity: number, on: boolean): void {
    this.pitch[this.size] = pitch;
    this.velocity[this.size] = velocity;
    this.on[this.size] = on ? 1 : 0;
    this.size++;
  }

  /** Applies the group at time t and empties it. */
  apply(notes: NotePairing, t: number): void {
    const { pitch, velocity, on, size } = this;
    for (let g = 0; g < size; g++) if (!on[g] && notes.isOpen[pitch[g]]) notes.close(pitch[g], t);
    // Insertion sort of the group's ons by (pitch, velocity), in place; groups are chords, and the encoders already write pitch order.
    let ons = 0;
    for (let g = 0; g < size; g++) {
      if (!on[g]) continue;
      const p = pitch[g];
      const v = velocity[g];
      let j = ons - 1;
      while (j >= 0 && (pitch[j] > p || (pitch[j] === p && velocity[j] > v))) {
        pitch[j + 1] = pitch[j];
        velocity[j + 1] = velocity[j];
        j--;
      }
      pitch[j + 1] = p;
      velocity[j + 1] = v;
      ons++;
    }
    for (let g = 0; g < ons; g++) notes.open(pitch[g], velocity[g], t);
    this.size = 0;
  }
}

/** Notes sorted by (start, pitch, index): the input itself when already so (opening order is by time; within one time it follows the ids). */
function sortByOnset(notes: Notes): Notes {
  const count = notes.length;
  const order = onsetOrder(count, notes.start, notes.pitch);
  let identity = true;
  for (let i = 0; i < count && identity; i++) identity = order[i] === i;
  if (identity) return notes;
  const sorted = allocNotes(count);
  for (let i = 0; i < count; i++) {
    const j = order[i];
    sorted.pitch[i] = notes.pitch[j];
    sorted.velocity[i] = notes.velocity[j];
    sorted.start[i] = notes.start[j];
    sorted.end[i] = notes.end[j];
  }
  return sorted;
}
