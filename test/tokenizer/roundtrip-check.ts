// Round-trip checkers for the note schemes, shared by the property tests and the ASAP test. Each one
// rebuilds the expected decoded notes with its own model written from the reference description (plain
// comparator sorts, no code shared with src/), then asserts the decoded notes against it and against the
// input within the stated quantization bound. Typed arrays only because the ASAP test checks 3.7M notes.
// Not a tokenizer: it never produces ids.
import assert from 'node:assert/strict';
import type { Notes } from '../../src/midi/notes.js';
import type { ExpTimeParams } from '../../src/tokenizer/exptime.js';
import type { LogBinParams } from '../../src/tokenizer/logbin.js';

/** A note as a plain object. */
export interface PlainNote {
  pitch: number;
  velocity: number;
  start: number;
  end: number;
}

/** Notes as plain objects, in their stored order. */
export function plain(notes: Notes): PlainNote[] {
  return Array.from({ length: notes.length }, (_, i) => ({
    pitch: notes.pitch[i],
    velocity: notes.velocity[i],
    start: notes.start[i],
    end: notes.end[i],
  }));
}

/** Python's round(float) / numpy's np.round: ties to even (Math.round sends ties up). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The reference's velocity edges floor(linspace(0, 128, n + 1)) via numpy's arange·step formula. */
export function referenceEdges(n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? 128 : Math.floor(i * (128 / n))));
}

/** numpy's digitize(v, edges) − 1. */
export function referenceBin(edges: number[], v: number): number {
  return edges.filter((e) => e <= v).length - 1;
}

/** Outcome counts, so callers can report how often the unusual paths were taken. */
export interface CheckStats {
  notes: number;
  /** Decoded notes whose on and off do not come from the same input note (same-pitch overlaps). */
  repaired: number;
  maxStartError: number;
  maxEndError: number;
}

/** assert.ok with a message built only on failure (these checks run millions of times). */
function check(ok: boolean, message: () => string): void {
  if (!ok) assert.fail(message());
}

/** Fresh counters. */
export function emptyStats(): CheckStats {
  return { notes: 0, repaired: 0, maxStartError: 0, maxEndError: 0 };
}

/** Indices 0..n-1 sorted by `cmp`. */
function sortedIndices(n: number, cmp: (a: number, b: number) => number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i).sort(cmp);
}

/** Indices of the notes with pitch in [lo, hi], in input order. */
function inRange(notes: Notes, lo: number, hi: number): number[] {
  const keep: number[] = [];
  for (let i = 0; i < notes.length; i++) if (notes.pitch[i] >= lo && notes.pitch[i] <= hi) keep.push(i);
  return keep;
}

/** Table velocity → reference bin, for 0..127. */
function binTable(edges: number[]): Uint8Array {
  return Uint8Array.from({ length: 128 }, (_, v) => referenceBin(edges, v));
}

/**
 * exptime: decoded notes equal, exactly, the reference decoder's pairing of the reference-quantized
 * events (per pitch: off before on at equal steps, ons by velocity, a re-struck pitch closes the open
 * note, unmatched offs ignored); and a note paired from its own on and off is within 5 ms of the input
 * at both ends (end: 15 ms when the zero-length rule added a step). Velocity is in the input's bin.
 */
export function checkExpTime(
  input: Notes,
  decoded: Notes,
  p: ExpTimeParams,
  label: string,
  stats = emptyStats(),
): CheckStats {
  const edges = referenceEdges(p.velocityBins);
  const bins = binTable(edges);
  const mid = (b: number): number => Math.max(1, Math.floor((edges[b] + edges[b + 1]) / 2));
  const u = p.timeUnit;
  const keep = inRange(input, p.minPitch, p.maxPitch);
  const m = keep.length;
  // Events 2j (on) and 2j + 1 (off) of kept note j.
  const evK = new Float64Array(2 * m);
  const evVel = new Uint8Array(2 * m);
  const evPitch = new Uint8Array(2 * m);
  keep.forEach((src, j) => {
    const ks = pyRound(input.start[src] / u);
    const ke = pyRound(input.end[src] / u);
    evK[2 * j] = ks;
    evK[2 * j + 1] = ke <= ks ? ks + 1 : ke;
    evVel[2 * j] = evVel[2 * j + 1] = mid(bins[input.velocity[src]]);
    evPitch[2 * j] = evPitch[2 * j + 1] = input.pitch[src];
  });
  const isOn = (e: number): number => 1 - (e & 1);
  // The reference decoder's tuple sort (time, 'off' < 'on', pitch, velocity), grouped by pitch.
  const order = sortedIndices(
    2 * m,
    (a, b) => evPitch[a] - evPitch[b] || evK[a] - evK[b] || isOn(a) - isOn(b) || evVel[a] - evVel[b],
  );
  const exp: Array<[pitch: number, velocity: number, startK: number, endK: number, from: number]> = [];
  let open = -1;
  for (let r = 0; r < order.length; r++) {
    const e = order[r];
    if (r > 0 && evPitch[order[r - 1]] !== evPitch[e]) open = -1;
    if (open >= 0) {
      const from = !isOn(e) && e === open + 1 ? open >> 1 : -1;
      exp.push([evPitch[e], evVel[open], evK[open], evK[e] > evK[open] ? evK[e] : evK[open] + 1, from]);
      open = -1;
    }
    if (isOn(e)) open = e;
  }
  check(decoded.length === exp.length, () => `${label}: ${decoded.length} decoded notes, expected ${exp.length}`);
  // Compare as multisets, keyed in whole steps so float noise in the last bit cannot reorder equal notes.
  const stepOf = (x: number): number => Math.round(x / u);
  const got = sortedIndices(
    decoded.length,
    (a, b) =>
      stepOf(decoded.start[a]) - stepOf(decoded.start[b]) ||
      decoded.pitch[a] - decoded.pitch[b] ||
      stepOf(decoded.end[a]) - stepOf(decoded.end[b]) ||
      decoded.velocity[a] - decoded.velocity[b],
  );
  exp.sort((a, b) => a[2] - b[2] || a[0] - b[0] || a[3] - b[3] || a[1] - b[1]);
  for (let i = 0; i < exp.length; i++) {
    const g = got[i];
    const [pitch, velocity, startK, endK, from] = exp[i];
    const start = decoded.start[g];
    const end = decoded.end[g];
    if (
      decoded.pitch[g] !== pitch ||
      decoded.velocity[g] !== velocity ||
      Math.abs(start - startK * u) > 1e-9 ||
      Math.abs(end - endK * u) > 1e-9
    ) {
      assert.fail(
        `${label}: decoded note ${JSON.stringify(plain(decoded)[g])} where the reference pairing gives ${JSON.stringify({ pitch, velocity, start: startK * u, end: endK * u })}`,
      );
    }
    stats.notes++;
    if (from < 0) {
      stats.repaired++;
      continue;
    }
    const src = keep[from];
    const startError = Math.abs(start - input.start[src]);
    const zeroLength = pyRound(input.end[src] / u) <= pyRound(input.start[src] / u);
    const endError = Math.abs(end - input.end[src]) - (zeroLength ? u : 0);
    const bin = bins[input.velocity[src]];
    if (!(
      startError <= u / 2 + 1e-9 &&
      endError <= u / 2 + 1e-9 &&
      velocity >= edges[bin] &&
      velocity < edges[bin + 1]
    )) {
      assert.fail(
        `${label}: ${JSON.stringify(plain(decoded)[g])} from ${JSON.stringify(plain(input)[src])}: start error ${startError}, end error ${endError}`,
      );
    }
    stats.maxStartError = Math.max(stats.maxStartError, startError);
    stats.maxEndError = Math.max(stats.maxEndError, endError);
  }
  return stats;
}

/**
 * logbin: the input, restricted to the pitch range and with each note cut at the next onset of its
 * pitch (notes cut to nothing dropped), comes back one-to-one: pitch exact, velocity in its bin, and
 * each time within the bound E of its event, E_i = max(e_1, ρ·(g_i + E_{i−1} + eps), E_{i−1} if g_i < E_{i−1}),
 * over all event times in order (g_i the true gap, ρ = (exp(1/alpha) − 1)/2); an end decoded onto its
 * start moves e_1 later, so ends get e_1 more slack.
 */
export function checkLogBin(
  input: Notes,
  decoded: Notes,
  p: LogBinParams,
  label: string,
  stats = emptyStats(),
): CheckStats {
  const edges = referenceEdges(p.velocityBins);
  const bins = binTable(edges);
  const e1 = p.eps * (Math.exp(1 / p.alpha) - 1);
  const rho = (Math.exp(1 / p.alpha) - 1) / 2;
  const keep = inRange(input, p.minPitch, p.maxPitch);
  const { pitch, start, velocity } = input;
  const byPitchStart = keep.sort((a, b) => pitch[a] - pitch[b] || start[a] - start[b] || a - b);
  // Cut each note at the next onset of its pitch; keep the survivors in (pitch, start) order.
  const want: number[] = [];
  const wantEnd: number[] = [];
  byPitchStart.forEach((i, r) => {
    const next = byPitchStart[r + 1];
    const end = next !== undefined && pitch[next] === pitch[i] ? Math.min(input.end[i], start[next]) : input.end[i];
    if (end > start[i]) {
      want.push(i);
      wantEnd.push(end);
    }
  });
  // The bound along all event times in order; equal times share the largest (last) value.
  const times = Float64Array.from([...want.map((i) => start[i]), ...wantEnd]).sort();
  const bound = new Float64Array(times.length);
  let E = 0;
  for (let k = 0; k < times.length; k++) {
    const g = times[k] - (k > 0 ? times[k - 1] : 0);
    E = Math.max(e1, rho * (g + E + p.eps), g < E ? E : 0);
    bound[k] = E;
  }
  const boundAt = (t: number): number => {
    let lo = 0;
    let hi = times.length; // first index with times[i] > t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return bound[lo - 1];
  };
  check(decoded.length === want.length, () => `${label}: ${decoded.length} decoded notes, expected ${want.length}`);
  const got = sortedIndices(
    decoded.length,
    (a, b) => decoded.pitch[a] - decoded.pitch[b] || decoded.start[a] - decoded.start[b],
  );
  for (let j = 0; j < want.length; j++) {
    const g = got[j];
    const i = want[j];
    const bin = bins[velocity[i]];
    const startError = Math.abs(decoded.start[g] - start[i]);
    const endError = Math.abs(decoded.end[g] - wantEnd[j]);
    const startBound = boundAt(start[i]);
    const endBound = boundAt(wantEnd[j]) + e1;
    const ok =
      decoded.pitch[g] === pitch[i] && decoded.velocity[g] >= edges[bin] && decoded.velocity[g] < edges[bin + 1];
    if (!(ok && startError <= startBound + 1e-9 && endError <= endBound + 1e-9)) {
      assert.fail(
        `${label}: decoded ${JSON.stringify(plain(decoded)[g])} for ${JSON.stringify({ ...plain(input)[i], end: wantEnd[j] })}: start error ${startError} (bound ${startBound}), end error ${endError} (bound ${endBound})`,
      );
    }
    stats.notes++;
    stats.maxStartError = Math.max(stats.maxStartError, startError);
    stats.maxEndError = Math.max(stats.maxEndError, endError);
  }
  return stats;
}
