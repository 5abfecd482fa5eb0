// The vocabulary layout both base schemes (exptime, logbin) share: which id means what, and the ids a note
// event is written as. Time is not decided here: each scheme names its own time tokens and their values.
// Not the encoder or decoder themselves (each scheme's file, event-order.ts, event-decode.ts).
import { allocNotes, type Notes } from '../midi/notes.js';

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
  if (
    !Number.isInteger(minPitch) ||
    !Number.isInteger(maxPitch) ||
    minPitch < 0 ||
    maxPitch > 127 ||
    minPitch > maxPitch
  ) {
    throw new Error(`pitch range must be integers with 0 ≤ minPitch ≤ maxPitch ≤ 127, got ${minPitch}..${maxPitch}`);
  }
  if (!Number.isInteger(placeholders) || placeholders < 0)
    throw new Error(`placeholders must be a non-negative integer, got ${placeholders}`);
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
  return {
    vocab,
    minPitch,
    maxPitch,
    velocityBase,
    timeBase,
    kind: Uint8Array.from(kinds),
    value: Float64Array.from(values),
  };
}

/** The notes a layout can encode (pitch in range), in input order: the input itself when all are, else a copy. */
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

/**
 * Writes the note tokens of event `code` (from orderEvents) at out[w]: `VELOCITY_b NOTE_ON_p` for an
 * onset, `NOTE_OFF_p` for a release. Returns the next write position. Shared by every scheme's encoder.
 */
export function writeNoteEvent(
  out: Int32Array,
  w: number,
  code: number,
  notes: Notes,
  layout: VocabLayout,
  binOf: Uint8Array,
): number {
  const i = code >> 1;
  const noteOn = 2 + 2 * (notes.pitch[i] - layout.minPitch); // NOTE_ON_p; NOTE_OFF_p follows it
  if (code & 1) {
    out[w++] = layout.velocityBase + binOf[notes.velocity[i]];
    out[w++] = noteOn;
  } else out[w++] = noteOn + 1;
  return w;
}
