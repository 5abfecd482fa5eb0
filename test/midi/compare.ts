// Test helper: compares two lists of notes field by field, naming the first note that differs.
import assert from 'node:assert/strict';

/** A note as plain numbers, as notesToArray gives it. */
export type PlainNote = { pitch: number; velocity: number; start: number; end: number };

/** Notes sorted by start, pitch, end, velocity: two readers' lists then line up even where ties are ordered differently. */
export function canonical(list: readonly PlainNote[]): PlainNote[] {
  return [...list].sort((a, b) => a.start - b.start || a.pitch - b.pitch || a.end - b.end || a.velocity - b.velocity);
}

/** Asserts same length, same pitch and velocity, and start and end within `tolerance` seconds. */
export function assertSameNotes(
  got: readonly PlainNote[],
  want: readonly PlainNote[],
  tolerance: number,
  label: string,
): void {
  assert.equal(got.length, want.length, `${label}: note count`);
  got.forEach((g, i) => {
    const w = want[i];
    const same =
      g.pitch === w.pitch &&
      g.velocity === w.velocity &&
      Math.abs(g.start - w.start) <= tolerance &&
      Math.abs(g.end - w.end) <= tolerance;
    assert.ok(same, `${label}: note ${i}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`);
  });
}
