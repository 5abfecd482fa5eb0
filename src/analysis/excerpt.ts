// Excerpts for the excerpt → piece retrieval test: a window of a performance's notes, cut at a seeded
// random start. Notes starting inside the window are kept (ends clipped to it), times shifted to 0.
// Not a segmenter: windows ignore phrases and bars.

import { allocNotes, type Notes } from '../midi/notes.js';
import type { Rng } from '../util/rng.js';

/** The notes starting in [from, to), shifted so `from` becomes 0, with ends clipped at `to`. */
export function sliceNotes(notes: Notes, from: number, to: number): Notes {
  let first = 0;
  while (first < notes.length && notes.start[first] < from) first++;
  let last = first;
  while (last < notes.length && notes.start[last] < to) last++;
  const out = allocNotes(last - first);
  out.pitch.set(notes.pitch.subarray(first, last));
  out.velocity.set(notes.velocity.subarray(first, last));
  for (let i = 0; i < out.length; i++) {
    out.start[i] = notes.start[first + i] - from;
    out.end[i] = Math.min(notes.end[first + i], to) - from;
  }
  return out;
}

/**
 * A `seconds`-long excerpt starting at a uniformly drawn time between the first onset and the last
 * onset minus `seconds`; the whole performance when it is shorter than that.
 */
export function randomExcerpt(notes: Notes, seconds: number, rng: Rng): Notes {
  if (notes.length === 0) return notes;
  const first = notes.start[0];
  const latest = notes.start[notes.length - 1] - seconds;
  const from = latest > first ? first + rng.nextFloat() * (latest - first) : first;
  return sliceNotes(notes, from, from + seconds);
}
