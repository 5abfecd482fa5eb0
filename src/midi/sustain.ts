// The sustain pedal (CC64) applied to note durations: a note released while the pedal is down
// keeps sounding. Two rules, see ../shared/docs/reference-tokenizer.md, "Sustain".
// Not a pedal model: half-pedalling, sostenuto (CC66) and soft pedal (CC67) are ignored.

import { allocNotes, type Notes, type PedalEvent, type Performance } from './notes.js';

/** Which sustain rule: 'musical' (default) or 'reference' (fortepyan's apply_sustain, for exact compatibility). */
export type SustainRule = 'musical' | 'reference';

const DOWN = 64; // CC64 value from which the pedal counts as down

/**
 * Notes with the pedal applied. Only ends change, so the order (start, then pitch) is kept.
 * - 'musical': a press lasts from its first down event to the first up event after it (or the end of
 *   the performance if none); a note released inside a press lasts until the pedal is lifted or the
 *   same pitch is struck again, whichever comes first, and is never shortened.
 * - 'reference': a press is a run of consecutive down events and ends at its LAST down event; a note
 *   whose end lies in [down, up) ends at min(next onset of its pitch, up) if that pitch is struck
 *   again later in the piece (which may shorten it), else at max(end, up); a note so carried into the next press
 *   is extended by that one too, as fortepyan's press-by-press loop does.
 * In both, "next onset" is the next note of the same pitch with a strictly later start.
 */
export function applySustain(perf: Performance, options: { rule?: SustainRule } = {}): Notes {
  const rule = options.rule ?? 'musical';
  const src = perf.notes;
  const n = src.length;
  let last = perf.duration;
  for (let i = 0; i < n; i++) last = Math.max(last, src.end[i]);
  const { down, up } = rule === 'musical' ? musicalPresses(perf.pedal, last) : referencePresses(perf.pedal);

  const out = allocNotes(n);
  out.pitch.set(src.pitch);
  out.velocity.set(src.velocity);
  out.start.set(src.start);
  const next = nextOnsets(src);
  for (let i = 0; i < n; i++) {
    const end = src.end[i];
    const p = pressAt(down, end);
    if (p < 0 || end >= up[p]) {
      out.end[i] = end;
    } else if (rule === 'musical') {
      out.end[i] = Math.max(end, Math.min(up[p], next[i]));
    } else {
      out.end[i] = referenceEnd(end, next[i], p, down, up);
    }
  }
  return out;
}

/**
 * The reference rule's end for a note released in press p. fortepyan extends the notes of one press
 * after another in place, so a note carried to the end of a press that is also the start of the next
 * one (an up and a down event at the same instant) is extended again by that press.
 */
function referenceEnd(end: number, next: number, p: number, down: number[], up: number[]): number {
  for (;;) {
    end = next < Infinity ? Math.min(next, up[p]) : Math.max(end, up[p]);
    const q = pressAt(down, end);
    if (q <= p || end >= up[q]) return end;
    p = q;
  }
}

/** Presses from each first down event to the first up event after it (`last` if the pedal stays down). */
function musicalPresses(pedal: readonly PedalEvent[], last: number): { down: number[]; up: number[] } {
  const down: number[] = [];
  const up: number[] = [];
  for (const e of pedal) {
    const isDown = e.value >= DOWN;
    if (isDown && down.length === up.length) down.push(e.time);
    else if (!isDown && down.length > up.length) up.push(e.time);
  }
  if (down.length > up.length) up.push(Math.max(last, down[down.length - 1]));
  return { down, up };
}

/** Runs of consecutive down events, each from its first to its last down event (the fortepyan quirk). */
function referencePresses(pedal: readonly PedalEvent[]): { down: number[]; up: number[] } {
  const down: number[] = [];
  const up: number[] = [];
  let inRun = false;
  for (const e of pedal) {
    if (e.value >= DOWN) {
      if (inRun) up[up.length - 1] = e.time;
      else {
        down.push(e.time);
        up.push(e.time);
      }
      inRun = true;
    } else {
      inRun = false;
    }
  }
  return { down, up };
}

/** For each note, the start of the next note of its pitch starting strictly later (Infinity if none). */
function nextOnsets(notes: Notes): Float64Array {
  // Walk backwards (notes are sorted by start), keeping per pitch the earliest start seen so far
  // and the earliest start after that one, which is the answer for notes tied with the earliest.
  const next = new Float64Array(notes.length);
  const earliest = new Float64Array(128).fill(Infinity);
  const afterEarliest = new Float64Array(128).fill(Infinity);
  for (let i = notes.length - 1; i >= 0; i--) {
    const p = notes.pitch[i];
    const t = notes.start[i];
    if (t < earliest[p]) {
      next[i] = earliest[p];
      afterEarliest[p] = earliest[p];
      earliest[p] = t;
    } else {
      next[i] = afterEarliest[p];
    }
  }
  return next;
}

/** Index of the last press starting at or before t, or -1. */
function pressAt(down: readonly number[], t: number): number {
  let lo = 0;
  let hi = down.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (down[mid] <= t) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
