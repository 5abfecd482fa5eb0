// The hand-crafted baseline vector of a performance: what a musician could compute without a model.
// It is the yardstick the learned embeddings are reported against; not a feature library (no rhythm,
// harmony or structure features beyond these 19 numbers).

import type { Notes } from '../midi/notes.js';
import { pitchClassHistogram } from './key.js';

/**
 * Feature names in vector order, with units. Raw values differ in scale by orders of magnitude,
 * so compare vectors only after standardizing the columns over a collection (standardize.ts).
 */
export const HANDCRAFTED_FEATURES = [
  'pc_C',
  'pc_C#',
  'pc_D',
  'pc_D#',
  'pc_E',
  'pc_F',
  'pc_F#',
  'pc_G',
  'pc_G#',
  'pc_A',
  'pc_A#',
  'pc_B', // share of sounding time, sums to 1
  'pitch_mean', // MIDI pitch, duration-weighted
  'pitch_std', // semitones, duration-weighted
  'pitch_range', // semitones, highest minus lowest pitch
  'note_density', // notes per second over the span from first onset to last release
  'velocity_mean', // MIDI velocity 1..127, per note
  'velocity_std', // per note
  'mean_ioi', // seconds between successive distinct onsets (onsets closer than CHORD_WINDOW are one onset)
] as const;

/** Onsets closer than this (seconds) count as one chord for the inter-onset interval. */
export const CHORD_WINDOW = 0.03;

/** The 19 raw features of HANDCRAFTED_FEATURES; all zeros for an empty performance. */
export function handcraftedVector(notes: Notes): Float64Array {
  const v = new Float64Array(HANDCRAFTED_FEATURES.length);
  const n = notes.length;
  if (n === 0) return v;
  const pc = pitchClassHistogram(notes);
  let total = 0;
  for (let i = 0; i < 12; i++) total += pc[i];
  for (let i = 0; i < 12; i++) v[i] = total > 0 ? pc[i] / total : 0;

  let wSum = 0;
  let pSum = 0;
  let lo = 127;
  let hi = 0;
  let vSum = 0;
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const w = notes.end[i] - notes.start[i];
    wSum += w;
    pSum += w * notes.pitch[i];
    lo = Math.min(lo, notes.pitch[i]);
    hi = Math.max(hi, notes.pitch[i]);
    vSum += notes.velocity[i];
    last = Math.max(last, notes.end[i]);
  }
  const pMean = pSum / wSum;
  const vMean = vSum / n;
  let pVar = 0;
  let vVar = 0;
  for (let i = 0; i < n; i++) {
    pVar += (notes.end[i] - notes.start[i]) * (notes.pitch[i] - pMean) ** 2;
    vVar += (notes.velocity[i] - vMean) ** 2;
  }
  // Distinct onsets: a new onset starts when a note begins CHORD_WINDOW or more after the current chord's first note.
  let onsets = 1;
  let chord = notes.start[0];
  for (let i = 1; i < n; i++) {
    if (notes.start[i] - chord >= CHORD_WINDOW) {
      onsets++;
      chord = notes.start[i];
    }
  }
  const span = last - notes.start[0];
  v[12] = pMean;
  v[13] = Math.sqrt(pVar / wSum);
  v[14] = hi - lo;
  v[15] = span > 0 ? n / span : 0;
  v[16] = vMean;
  v[17] = Math.sqrt(vVar / n);
  v[18] = onsets > 1 ? (chord - notes.start[0]) / (onsets - 1) : 0;
  return v;
}
