// Key labels for colouring maps: the key stated by a title (or implied by a BWV number of the
// Well-Tempered Clavier), else the Krumhansl–Kessler estimate from the notes.
// Not a modulation tracker: one key per piece, from the whole piece's pitch-class distribution.

import type { Notes } from '../midi/notes.js';

/** A key: tonic pitch class (0 = C … 11 = B) and mode. */
export interface Key {
  readonly tonic: number;
  readonly mode: 'major' | 'minor';
}

/** A key label with where it came from; `confidence` is the winning profile correlation (1 for titles). */
export interface KeyLabel extends Key {
  readonly name: string;
  readonly source: 'title' | 'notes';
  readonly confidence: number;
}

/** Krumhansl & Kessler (1982) probe-tone ratings, tonic first: [major, minor]. */
export const KRUMHANSL_KESSLER: readonly [readonly number[], readonly number[]] = [
  [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
  [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
];

// One spelling per pitch class and mode, so that enharmonic titles ("D-flat major", "C# major") share a label.
const MAJOR_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
const MINOR_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'G#', 'A', 'Bb', 'B'];
const LETTER_PC: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/** "C major", "C# minor": one canonical spelling per key. */
export function keyName(key: Key): string {
  return `${(key.mode === 'major' ? MAJOR_NAMES : MINOR_NAMES)[key.tonic]} ${key.mode}`;
}

/** Duration-weighted pitch-class histogram (seconds of sounding per class; not normalized). */
export function pitchClassHistogram(notes: Notes): Float64Array {
  const h = new Float64Array(12);
  for (let i = 0; i < notes.length; i++) h[notes.pitch[i] % 12] += notes.end[i] - notes.start[i];
  return h;
}

/**
 * Krumhansl–Kessler key finding: the key whose rotated profile correlates best (Pearson) with the
 * duration-weighted pitch-class histogram. `profiles` may be replaced (tests use shuffled ones).
 * Returns undefined for silence or a flat histogram, where no key is better than another.
 */
export function estimateKey(
  notes: Notes,
  profiles: readonly [readonly number[], readonly number[]] = KRUMHANSL_KESSLER,
): (Key & { confidence: number }) | undefined {
  const h = pitchClassHistogram(notes);
  let best: (Key & { confidence: number }) | undefined;
  for (const [m, mode] of (['major', 'minor'] as const).entries()) {
    for (let tonic = 0; tonic < 12; tonic++) {
      // The profile rotated to `tonic`: class pc gets the rating of degree (pc - tonic).
      const r = pearson(h, (pc) => profiles[m][(pc - tonic + 12) % 12]);
      if (Number.isFinite(r) && (!best || r > best.confidence)) best = { tonic, mode, confidence: r };
    }
  }
  return best;
}

function pearson(x: Float64Array, y: (i: number) => number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < 12; i++) {
    mx += x[i];
    my += y(i);
  }
  mx /= 12;
  my /= 12;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < 12; i++) {
    const dx = x[i] - mx;
    const dy = y(i) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

// "C-sharp Minor", "Eb major", "F# minor", "b-moll", "in A", ... The letter must start a word so
// that "Sonata" does not read as "a"; a bare "b" after a letter is a flat only when a mode follows.
const KEY_IN_TITLE =
  /(?:^|[^a-z])([a-g])(?:[\s_-]?(sharp|flat|#|♯|♭|b|is|es|s)(?![a-z]))?[\s_-]*(major|minor|dur|moll)(?![a-z])/i;
const WTC_BWV = /\bbwv[\s_.]*(\d{3})(?!\d)/i;

/**
 * The key a title states ("Sonata in C-sharp Minor, Op. 27 No. 2", "Waltz_in_A-flat_major", "fis-moll"),
 * or the key a Well-Tempered Clavier BWV number implies (846–869 book I, 870–893 book II: C, c, C#,
 * c#, … b, so "Fugue_bwv_848" is C# major). Undefined when the title names no key.
 */
export function keyFromTitle(title: string): Key | undefined {
  const spaced = title.replace(/_/g, ' ');
  const m = KEY_IN_TITLE.exec(spaced);
  if (m) {
    const acc = (m[2] ?? '').toLowerCase();
    const shift = acc === 'sharp' || acc === '#' || acc === '♯' || acc === 'is' ? 1 : acc === '' ? 0 : -1;
    const word = m[3].toLowerCase();
    return {
      tonic: (LETTER_PC[m[1].toLowerCase()] + shift + 12) % 12,
      mode: word === 'major' || word === 'dur' ? 'major' : 'minor',
    };
  }
  const bwv = WTC_BWV.exec(spaced);
  if (bwv) {
    const n = Number(bwv[1]);
    const index = n >= 870 ? n - 870 : n - 846;
    if (n >= 846 && n <= 893) return { tonic: index >> 1, mode: index % 2 === 0 ? 'major' : 'minor' };
  }
  return undefined;
}

/** The key label of a piece: its title's key when stated, else the notes' estimate; undefined for empty notes. */
export function labelKey(notes: Notes, title?: string): KeyLabel | undefined {
  const stated = title === undefined ? undefined : keyFromTitle(title);
  if (stated) return { ...stated, name: keyName(stated), source: 'title', confidence: 1 };
  const est = estimateKey(notes);
  return est && { tonic: est.tonic, mode: est.mode, name: keyName(est), source: 'notes', confidence: est.confidence };
}

/** True when `a` and `b` are the same key or relative (C major / A minor) or parallel (C major / C minor) keys. */
export function closelyRelated(a: Key, b: Key): boolean {
  if (a.tonic === b.tonic) return true;
  if (a.mode === b.mode) return false;
  const major = a.mode === 'major' ? a : b;
  const minor = a.mode === 'major' ? b : a;
  return (major.tonic + 9) % 12 === minor.tonic;
}
