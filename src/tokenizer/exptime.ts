// 'exptime': the reference work's ExponentialTimeTokenizer (midi-tokenizers), id for id. Times are rounded
// to a 10 ms grid exactly as numpy does it (round-half-even of seconds / unit, in float64), and each gap is
// written greedily as power-of-two step tokens (1.37 s = 64T 64T 8T 1T). See ../shared/docs/reference-tokenizer.md.
// Deliberate differences, only where the reference would fail or misbehave: pitches outside the range are
// skipped (the reference raises), and a NOTE_ON before any VELOCITY decodes with velocity 67, not 0.
import type { Notes } from '../midi/notes.js';
import type { BaseTokenizer } from './scheme.js';
import { decodeEvents, type DecodeRules } from './event-decode.js';
import { orderEvents } from './event-order.js';
import { FloatSlot, IntSlot, scratchFloat64, scratchInt32 } from './scratch.js';
import { buildVocab, selectNotes, writeNoteEvent, type VocabLayout } from './vocab-layout.js';
import { VelocityBins } from './velocity.js';

/** Parameters of the exptime scheme; the defaults are the reference configuration. */
export interface ExpTimeParams {
  /** Seconds per time step (the grid). */
  timeUnit: number;
  /** Step tokens double from 1 step while step · timeUnit < maxTimeStep (1.0 s gives 1T..64T). */
  maxTimeStep: number;
  velocityBins: number;
  /** Unused slots at the end of the vocabulary, renamed into special tokens by BPE. */
  placeholders: number;
  minPitch: number;
  maxPitch: number;
}

/** The reference configuration: 1,229 tokens. */
export const EXPTIME_DEFAULTS: Readonly<ExpTimeParams> = {
  timeUnit: 0.01,
  maxTimeStep: 1,
  velocityBins: 20,
  placeholders: 1024,
  minPitch: 21,
  maxPitch: 108,
};

/** numpy's np.round / Python's round on a float: ties go to the even integer. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The reference-compatible exponential-time tokenizer. */
export class ExpTimeTokenizer implements BaseTokenizer {
  readonly name = 'exptime' as const;
  readonly padId = 0;
  readonly vocab: readonly string[];
  readonly params: Readonly<ExpTimeParams>;
  readonly layout: VocabLayout;
  readonly rules: DecodeRules;
  private readonly velocities: VelocityBins;
  private readonly unit: number;
  /** The largest step (64 by default) and its id. */
  private readonly maxStep: number;
  private readonly maxStepId: number;
  /** Greedy tokens of a remainder r < maxStep: remainderIds[remainderStart[r] .. remainderStart[r + 1]). */
  private readonly remainderStart: Int32Array;
  private readonly remainderIds: Int32Array;

  constructor(params: Partial<ExpTimeParams> = {}) {
    const p = { ...EXPTIME_DEFAULTS, ...params };
    if (!(p.timeUnit > 0) || !(p.maxTimeStep > p.timeUnit))
      throw new Error(`exptime needs 0 < timeUnit < maxTimeStep, got ${p.timeUnit}, ${p.maxTimeStep}`);
    this.params = p;
    this.unit = p.timeUnit;
    this.velocities = new VelocityBins(p.velocityBins);
    // The reference's loop, float doubling included: dt = unit; while dt < max: add step; dt *= 2.
    const steps: number[] = [];
    for (let dt = p.timeUnit, step = 1; dt < p.maxTimeStep; dt *= 2, step *= 2) steps.push(step);
    this.layout = buildVocab(
      p.minPitch,
      p.maxPitch,
      p.velocityBins,
      steps.map((s) => ({ name: `${s}T`, value: s })),
      p.placeholders,
    );
    this.vocab = this.layout.vocab;
    this.rules = { scale: this.unit, minDuration: 1, reorderTies: true };
    this.maxStep = steps[steps.length - 1];
    this.maxStepId = this.layout.timeBase + steps.length - 1;
    if (this.maxStep > 1 << 16)
      throw new Error(`exptime: maxTimeStep / timeUnit must stay below 65536, got ${p.maxTimeStep / p.timeUnit}`);
    // Largest steps first; since steps are the powers of two below maxStep, these are r's binary digits.
    const ids: number[] = [];
    this.remainderStart = new Int32Array(this.maxStep + 1);
    for (let r = 0; r < this.maxStep; r++) {
      this.remainderStart[r] = ids.length;
      for (let k = steps.length - 2; k >= 0; k--) if (r & steps[k]) ids.push(this.layout.timeBase + k);
    }
    this.remainderStart[this.maxStep] = ids.length;
    this.remainderIds = Int32Array.from(ids);
  }

  encode(notes: Notes): Int32Array {
    const kept = selectNotes(notes, this.params.minPitch, this.params.maxPitch);
    const { pitch, start, end, length: n } = kept;
    const unit = this.unit;
    // Quantized times as the same float64 values the reference computes (they decide ties in its sort).
    const on = scratchFloat64(FloatSlot.onTime, n);
    const off = scratchFloat64(FloatSlot.offTime, n);
    let last = 0;
    for (let i = 0; i < n; i++) {
      on[i] = roundHalfEven(start[i] / unit) * unit;
      off[i] = roundHalfEven(end[i] / unit) * unit;
      if (off[i] <= on[i]) off[i] = on[i] + unit; // the reference's +1 step for notes that round to zero length
      if (off[i] > last) last = off[i];
    }
    const events = orderEvents(n, on, off, pitch);
    const { maxStep, maxStepId, remainderStart, remainderIds } = this;
    // At most: 3 note tokens per note, and per gap (2n of them) its largest-step count plus one per smaller step.
    const out = scratchInt32(
      IntSlot.ids,
      3 * n + 2 * n * Math.log2(2 * maxStep) + Math.ceil(last / unit / maxStep) + 16,
    );
    let w = 0;
    const binOf = this.velocities.binOf;
    let previous = 0;
    for (let e = 0; e < events.length; e++) {
      const code = events[e];
      const i = code >> 1;
      const t = code & 1 ? on[i] : off[i];
      const steps = roundHalfEven((t - previous) / unit);
      previous = t;
      if (steps > 0) {
        const big = Math.floor(steps / maxStep);
        for (let k = 0; k < big; k++) out[w++] = maxStepId;
        const r = steps - big * maxStep;
        for (let k = remainderStart[r]; k < remainderStart[r + 1]; k++) out[w++] = remainderIds[k];
      }
      w = writeNoteEvent(out, w, code, kept, this.layout, binOf);
    }
    return out.slice(0, w);
  }

  /** The reference's untokenize(); times come out as exact step counts · unit (it sums floats instead). */
  decode(ids: ArrayLike<number>): Notes {
    return decodeEvents(ids, this.layout, this.velocities, this.rules);
  }

  /** Notes outside the pitch range. */
  skippedNotes(notes: Notes): number {
    return notes.length - selectNotes(notes, this.params.minPitch, this.params.maxPitch).length;
  }
}
