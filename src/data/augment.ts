// Data augmentation of a performance's notes before tokenizing: pitch transposition, tempo stretch and
// a velocity offset. Applied to notes (after the pedal), so BPE ids are recomputed from the changed
// notes rather than patched. Pure functions of the notes and one draw; the random draw itself is the
// trainer's (src/train/augment-epochs.ts), so every epoch's augmented corpus follows from the seed.
import { allocNotes, type Notes } from '../midi/notes.js';

/** The piano's keyboard, A0..C8: transposition never moves a note off it. */
export const PIANO_LOW = 21;
export const PIANO_HIGH = 108;

/** How far augmentation may go, each side of zero; all zero = off. */
export interface AugmentRanges {
  /** Largest transposition in semitones (integer ≥ 0). */
  readonly transpose: number;
  /** Largest relative tempo change: 0.1 = durations scaled by a factor in [0.9, 1.1]. */
  readonly stretch: number;
  /** Largest velocity offset (integer ≥ 0), added to every note and clamped to 1..127. */
  readonly velocity: number;
}

/** One drawn augmentation of one performance. */
export interface Augmentation {
  /** Semitones requested; shortened where the piece would leave the keyboard (see {@link transposeWithin}). */
  readonly transpose: number;
  /** Factor on every time (onset and release): > 1 plays slower. */
  readonly stretch: number;
  readonly velocity: number;
}

/** Whether the ranges change anything. */
export function augments(r: AugmentRanges): boolean {
  return r.transpose > 0 || r.stretch > 0 || r.velocity > 0;
}

/** Checks ranges from a config or flags; throws naming the field. */
export function checkAugmentRanges(r: AugmentRanges, where: string): AugmentRanges {
  if (!(Number.isInteger(r.transpose) && r.transpose >= 0 && r.transpose <= 24)) throw new Error(`${where}: transpose must be an integer in 0..24 semitones, got ${r.transpose}`);
  if (!(typeof r.stretch === 'number' && r.stretch >= 0 && r.stretch < 0.5)) throw new Error(`${where}: stretch must be in [0, 0.5), got ${r.stretch}`);
  if (!(Number.isInteger(r.velocity) && r.velocity >= 0 && r.velocity <= 64)) throw new Error(`${where}: velocity must be an integer in 0..64, got ${r.velocity}`);
  return r;
}

/**
 * An augmentation from three uniform numbers in [0, 1): transposition uniform over the integers
 * −T..T, stretch uniform in [1 − s, 1 + s], velocity offset uniform over −V..V.
 */
export function drawAugmentation(r: AugmentRanges, u: readonly [number, number, number]): Augmentation {
  const int = (max: number, x: number): number => Math.min(max, Math.floor(x * (2 * max + 1)) - max);
  return { transpose: int(r.transpose, u[0]), stretch: 1 + r.stretch * (2 * u[1] - 1), velocity: int(r.velocity, u[2]) };
}

/**
 * The shift actually applied: `k` shortened towards 0 until every note stays on the keyboard, so no
 * note is dropped or folded (a piece spanning the whole keyboard is not transposed). Notes already
 * off the keyboard in the file only forbid shifting them further out.
 */
export function transposeWithin(notes: Notes, k: number): number {
  if (notes.length === 0 || k === 0) return 0;
  let lo = 127;
  let hi = 0;
  for (let i = 0; i < notes.length; i++) {
    lo = Math.min(lo, notes.pitch[i]);
    hi = Math.max(hi, notes.pitch[i]);
  }
  const down = Math.min(0, PIANO_LOW - lo); // most negative shift allowed
  const up = Math.max(0, PIANO_HIGH - hi);
  return Math.max(down, Math.min(up, k));
}

/** The notes with `a` applied: same count and order (every change is monotone in time and pitch). */
export function augmentNotes(notes: Notes, a: Augmentation): Notes {
  const out = allocNotes(notes.length);
  const k = transposeWithin(notes, a.transpose);
  for (let i = 0; i < notes.length; i++) {
    out.pitch[i] = notes.pitch[i] + k;
    out.velocity[i] = Math.max(1, Math.min(127, notes.velocity[i] + a.velocity));
    out.start[i] = notes.start[i] * a.stretch;
    out.end[i] = notes.end[i] * a.stretch;
  }
  return out;
}
