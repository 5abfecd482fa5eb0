// Random performances for tokenizer tests: notes on a loose grid (eighth-note steps, a few durations), so that
// patterns repeat and a BPE finds merges. Deterministic by seed. Not a dataset (mixed-dataset.ts writes files).
import { notesFrom, type Notes } from '../../src/midi/notes.js';

/** `count` notes from seed `seed`: pitches 48..71, velocities 40..99, onsets on a 1/8 s grid. */
export function gridNotes(count: number, seed: number): Notes {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let t = 0;
  return notesFrom(
    Array.from({ length: count }, () => {
      t += Math.floor(rand() * 4) * 0.125;
      return {
        pitch: 48 + Math.floor(rand() * 24),
        velocity: 40 + Math.floor(rand() * 60),
        start: t,
        end: t + 0.1 + Math.floor(rand() * 4) * 0.2,
      };
    }),
  );
}
