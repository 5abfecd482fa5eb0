// The note-event structure both base schemes (exptime, logbin) share: vocabulary layout, the order of
// note-on/off events, and the decoder that pairs events back into notes. Time is not decided here:
// each scheme quantizes time its own way and only hands in event times or time-token values.
// Everything works on typed arrays; no object is allocated per note or per token, and the working arrays
// are module-level scratch reused across pieces (results that alias scratch say so; JS runs one call at a time).
import { allocNotes, type Notes } from '../midi/notes.js';
import type { VelocityBins } from './velocity.js';

/** What a token id means to the decoder. */
export enum Kind {
  Other = 0,
  On = 1,
  Off = 2,
  Velocity = 3,
  Time = 4,
}

/** Vocabulary in id order, plus per-id tables the encoder and decoder index. */
export interface VocabLayout {
  readonly vocab: string[];
  readonly minPitch: number;
  readonly maxPitch: number;
  /** Id of VELOCITY_0; bin b is `velocityBase + b`. */
  readonly velocityBase: number;
  /** Id of the first time token. */
  readonly timeBase: number;
  readonly kind: Uint8Array; // per id
  /** Per id: pitch (note ids), bin (velocity ids), time value (time ids). */
  readonly value: Float64Array;
}

/**
 * The reference's layout: <PAD>, <CLS>, NOTE_ON_p/NOTE_OFF_p per pitch, VELOCITY_b, the scheme's time
 * tokens, then <PLACEHOLDER_i> slots that BPE later renames into special tokens.
 */
export function buildVocab(
  minPitch: number,
  maxPitch: number,
  velocityBins: number,
  time: ReadonlyArray<{ name: string; value: number }>,
  placeholders: number,
): VocabLayout {
  if (!Number.isInteger(minPitch) || !Number.isInteger(maxPitch) || minPitch < 0 || maxPitch > 127 || minPitch > maxPitch) {
    throw new Error(`pitch range must be integers with 0 ≤ minPitch ≤ maxPitch ≤ 127, got ${minPitch}..${maxPitch}`);
  }
  if (!Number.isInteger(placeholders) || placeholders < 0) throw new Error(`placeholders must be a non-negative integer, got ${placeholders}`);
  const vocab = ['<PAD>', '<CLS>'];
  const kinds: Kind[] = [Kind.Other, Kind.Other];
  const values: number[] = [0, 0];
  const add = (name: string, kind: Kind, value: number): void => {
    vocab.push(name);
    kinds.push(kind);
    values.push(value);
  };
  for (let p = minPitch; p <= maxPitch; p++) {
    add(`NOTE_ON_${p}`, Kind.On, p);
    add(`NOTE_OFF_${p}`, Kind.Off, p);
  }
  const velocityBase = vocab.length;
  for (let b = 0; b < velocityBins; b++) add(`VELOCITY_${b}`, Kind.Velocity, b);
  const timeBase = vocab.length;
  for (const t of time) add(t.name, Kind.Time, t.value);
  for (let i = 0; i < placeholders; i++) add(`<PLACEHOLDER_${i}>`, Kind.Other, 0);
  return { vocab, minPitch, maxPitch, velocityBase, timeBase, kind: Uint8Array.from(kinds), value: Float64Array.from(values) };
}

const int32Scratch: Int32Array[] = [];
const float64Scratch: Float64Array[] = [];

/** Scratch Int32Array of length n for `slot` (an IntSlot); contents are garbage. */
export function scratchInt32(slot: number, n: number): Int32Array {
  if (!(int32Scratch[slot]?.length >= n)) int32Scratch[slot] = new Int32Array(Math.max(1024, Math.ceil(n * 1.5)));
  return int32Scratch[slot].subarray(0, n);
}

/** Scratch Float64Array of length n for `slot` (a FloatSlot); contents are garbage. */
export function scratchFloat64(slot: number, n: number): Float64Array {
  if (!(float64Scratch[slot]?.length >= n)) float64Scratch[slot] = new Float64Array(Math.max(1024, Math.ceil(n * 1.5)));
  return float64Scratch[slot].subarray(0, n);
}

/** Int32 scratch slots, one per array alive at the same time. */
export const IntSlot = { onsets: 0, heap: 1, events: 2, ids: 3 } as const;
/** Float64 scratch slots. */
export const FloatSlot = { onTime: 0, offTime: 1 } as const;

/** The notes a scheme can encode (pitch in range), in input order: the input itself when all are, else a copy. */
export function selectNotes(notes: Notes, minPitch: number, maxPitch: number): Notes {
  let n = 0;
  for (let i = 0; i < notes.length; i++) if (notes.pitch[i] >= minPitch && notes.pitch[i] <= maxPitch) n++;
  if (n === notes.length) return notes;
  const out = allocNotes(n);
  for (let i = 0, j = 0; i < notes.length; i++) {
    const p = notes.pitch[i];
    if (p < minPitch || p > maxPitch) continue;
    out.pitch[j] = p;
    out.velocity[j] = notes.velocity[i];
    out.start[j] = notes.start[i];
    out.end[j] = notes.end[i];
    j++;
  }
  return out;
}

/** Note indices sorted by (time, pitch, index); aliases scratch. */
export function onsetOrder(n: number, time: Float64Array, pitch: Uint8Array): Int32Array {
  const order = scratchInt32(IntSlot.onsets, n);
  for (let i = 0; i < n; i++) order[i] = i;
  const cmp = (a: number, b: number): number => time[a] - time[b] || pitch[a] - pitch[b] || a - b;
  for (let i = 1; i < n; i++) {
    if (time[i] < time[i - 1]) return order.sort(cmp); // input not sorted by time: no shortcut
  }
  // Sorted by time already (the Notes contract); only runs of equal times (chords) may need reordering.
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && time[b] === time[a]) b++;
    if (b - a > 32) order.subarray(a, b).sort(cmp);
    else {
      for (let i = a + 1; i < b; i++) {
        const x = order[i];
        let j = i - 1;
        while (j >= a && pitch[order[j]] > pitch[x]) {
          order[j + 1] = order[j];
          j--;
        }
        order[j + 1] = x;
      }
    }
    a = b;
  }
  return order;
}

/**
 * All note-on and note-off events of n notes, ordered by time, note-offs before note-ons at equal
 * times, then ascending pitch, then note index: the order the reference reaches with its two stable
 * sorts. Returns codes `note << 1 | 1` for a note-on and `note << 1` for a note-off.
 * Requires offTime[i] > onTime[i]. Note-offs wait in a min-heap, so the cost is n·log(polyphony).
 * The result aliases scratch: use it before the next call.
 */
export function orderEvents(n: number, onTime: Float64Array, offTime: Float64Array, pitch: Uint8Array): Int32Array {
  const ons = onsetOrder(n, onTime, pitch);
  const out = scratchInt32(IntSlot.events, 2 * n);
  const heap = scratchInt32(IntSlot.heap, n);
  let size = 0;
  const less = (a: number, b: number): boolean =>
    offTime[a] < offTime[b] || (offTime[a] === offTime[b] && (pitch[a] < pitch[b] || (pitch[a] === pitch[b] && a < b)));
  const pop = (): number => {
    const top = heap[0];
    const x = heap[--size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], x)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
    return top;
  };
  let w = 0;
  for (let r = 0; r < n; r++) {
    const note = ons[r];
    const t = onTime[note];
    while (size > 0 && offTime[heap[0]] <= t) out[w++] = pop() << 1;
    out[w++] = (note << 1) | 1;
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(note, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = note;
  }
  while (size > 0) out[w++] = pop() << 1;
  return out;
}

/**
 * Writes the note tokens of event `code` (from orderEvents) at out[w]: `VELOCITY_b NOTE_ON_p` for an
 * onset, `NOTE_OFF_p` for a release. Returns the next write position. Shared by every scheme's encoder.
 */
export function writeNoteEvent(out: Int32Array, w: number, code: number, notes: Notes, layout: VocabLayout, binOf: Uint8Array): number {
  const i = code >> 1;
  const noteOn = 2 + 2 * (notes.pitch[i] - layout.minPitch); // NOTE_ON_p; NOTE_OFF_p follows it
  if (code & 1) {
    out[w++] = layout.velocityBase + binOf[notes.velocity[i]];
    out[w++] = noteOn;
  } else out[w++] = noteOn + 1;
  return w;
}

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
export function decodeEvents(ids: ArrayLike<number>, layout: VocabLayout, velocities: VelocityBins, rules: DecodeRules): Notes {
  const { kind, value } = layout;
  let events = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (id >= 0 && id < kind.length && (kind[id] === Kind.On || kind[id] === Kind.Off)) events++;
  }
  // One time group (events between two time tokens) at a time: offs first, then ons by (pitch, velocity).
  const groupPitch = new Uint8Array(events);
  const groupVelocity = new Uint8Array(events);
  const groupOn = new Uint8Array(events);
  let groupSize = 0;
  // Notes are stored by opening order (which is time order), so no sort is needed at the end.
  const openSeq = new Int32Array(128);
  const open = new Uint8Array(128);
  const pitch = new Uint8Array(events);
  const velocity = new Uint8Array(events);
  const start = new Float64Array(events);
  const end = new Float64Array(events);
  const closed = new Uint8Array(events);
  let opened = 0;
  let count = 0;
  const close = (p: number, t: number): void => {
    const seq = openSeq[p];
    end[seq] = t > start[seq] ? t : start[seq] + rules.minDuration;
    closed[seq] = 1;
    count++;
    open[p] = 0;
  };
  let acc = 0;
  const flush = (): void => {
    const t = acc; // seconds only at the end, so that exptime's times stay exact multiples of the unit
    for (let g = 0; g < groupSize; g++) if (!groupOn[g] && open[groupPitch[g]]) close(groupPitch[g], t);
    // Insertion sort of the group's ons by (pitch, velocity); groups are chords, and the encoders already write pitch order.
    let ons = 0;
    for (let g = 0; g < groupSize; g++) {
      if (!groupOn[g]) continue;
      const p = groupPitch[g];
      const v = groupVelocity[g];
      let j = ons - 1;
      while (j >= 0 && (groupPitch[j] > p || (groupPitch[j] === p && groupVelocity[j] > v))) {
        groupPitch[j + 1] = groupPitch[j];
        groupVelocity[j + 1] = groupVelocity[j];
        j--;
      }
      groupPitch[j + 1] = p;
      groupVelocity[j + 1] = v;
      ons++;
    }
    for (let g = 0; g < ons; g++) {
      const p = groupPitch[g];
      if (open[p]) close(p, t);
      const seq = opened++;
      pitch[seq] = p;
      velocity[seq] = groupVelocity[g];
      start[seq] = t;
      openSeq[p] = seq;
      open[p] = 1;
    }
    groupSize = 0;
  };
  // Before any VELOCITY token, the bin of velocity 64 (the reference would use 0, which MIDI reads as a note-off).
  let currentVelocity = velocities.velocity(velocities.bin(64));
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (!(id >= 0 && id < kind.length)) continue;
    switch (kind[id]) {
      case Kind.Time:
        if (groupSize > 0) flush();
        acc += value[id];
        break;
      case Kind.Velocity:
        currentVelocity = velocities.velocity(value[id]);
        break;
      case Kind.On:
      case Kind.Off:
        groupPitch[groupSize] = value[id];
        groupVelocity[groupSize] = currentVelocity;
        groupOn[groupSize] = kind[id] === Kind.On ? 1 : 0;
        groupSize++;
        if (!rules.reorderTies) flush();
        break;
    }
  }
  if (groupSize > 0) flush();
  const out = allocNotes(count);
  for (let seq = 0, i = 0; seq < opened; seq++) {
    if (!closed[seq]) continue;
    out.pitch[i] = pitch[seq];
    out.velocity[i] = velocity[seq];
    out.start[i] = start[seq] * rules.scale;
    out.end[i] = end[seq] * rules.scale;
    i++;
  }
  // Opening order is by time; within one time it follows the ids, which need not be pitch order.
  const order = onsetOrder(count, out.start, out.pitch);
  let identity = true;
  for (let i = 0; i < count && identity; i++) identity = order[i] === i;
  if (identity) return out;
  const sorted = allocNotes(count);
  for (let i = 0; i < count; i++) {
    const j = order[i];
    sorted.pitch[i] = out.pitch[j];
    sorted.velocity[i] = out.velocity[j];
    sorted.start[i] = out.start[j];
    sorted.end[i] = out.end[j];
  }
  return sorted;
}
