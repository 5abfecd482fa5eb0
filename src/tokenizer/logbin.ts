// 'logbin': the paper's log-binned time, one token per gap, bin = floor(alpha · log(1 + dt / eps)); notes are
// written as in exptime (VELOCITY_b NOTE_ON_p ... NOTE_OFF_p), so the two schemes differ only in time tokens.
// Each gap is measured from the DECODED time of the previous event, so rounding errors never accumulate.
// Bound (tested): with edges e_b = eps·(exp(b/alpha) − 1), ρ = (exp(1/alpha) − 1)/2 and g_i the true gap before
// event i, |decoded − true| ≤ E_i = max(e_1, ρ·(g_i + E_{i−1} + eps), E_{i−1} if g_i < E_{i−1}): about half a bin.
import type { Notes } from '../midi/notes.js';
import { allocNotes } from '../midi/notes.js';
import type { BaseTokenizer } from './scheme.js';
import { decodeEvents, type DecodeRules } from './event-decode.js';
import { onsetOrder, orderEvents } from './event-order.js';
import { FloatSlot, IntSlot, scratchFloat64, scratchInt32 } from './scratch.js';
import { buildVocab, selectNotes, writeNoteEvent, type VocabLayout } from './vocab-layout.js';
import { VelocityBins } from './velocity.js';

/** Parameters of the logbin scheme. */
export interface LogBinParams {
  /** Bins per e-fold of (1 + dt/eps): relative resolution at long gaps is about 1/alpha. */
  alpha: number;
  /** Seconds where bins turn from linear (width ≈ eps/alpha) to logarithmic. */
  eps: number;
  /** Bins 0..bins−1; bin 0 (gap below e_1) writes no token, each other bin one TIME_b token. */
  bins: number;
  velocityBins: number;
  /** Unused slots at the end of the vocabulary, renamed into special tokens by BPE. */
  placeholders: number;
  minPitch: number;
  maxPitch: number;
}

/**
 * Defaults: eps/alpha = 10 ms resolution for short gaps (chords, trills), ~5% relative above 0.2 s
 * (±2.6%, about ±26 ms at 1 s), and 36 bins so the largest ends at 1.01 s: 35 time tokens. Longer gaps
 * repeat the largest bin's token. Same velocity bins, placeholders and pitch range as exptime.
 */
export const LOGBIN_DEFAULTS: Readonly<LogBinParams> = {
  alpha: 20,
  eps: 0.2,
  bins: 36,
  velocityBins: 20,
  placeholders: 1024,
  minPitch: 21,
  maxPitch: 108,
};

/** The log-binned exponential-time tokenizer. */
export class LogBinTokenizer implements BaseTokenizer {
  readonly name = 'logbin' as const;
  readonly padId = 0;
  readonly vocab: readonly string[];
  readonly params: Readonly<LogBinParams>;
  /** Bin edges in seconds, bins + 1 of them: bin b covers [edges[b], edges[b + 1]). */
  readonly edges: Float64Array;
  /** The gap each bin decodes to: the middle of the bin (0 for bin 0, which has no token). */
  readonly representative: Float64Array;
  readonly layout: VocabLayout;
  readonly rules: DecodeRules;
  private readonly velocities: VelocityBins;

  constructor(params: Partial<LogBinParams> = {}) {
    const p = { ...LOGBIN_DEFAULTS, ...params };
    if (!(p.alpha > 0) || !(p.eps > 0)) throw new Error(`logbin needs alpha > 0 and eps > 0, got ${p.alpha}, ${p.eps}`);
    if (!Number.isInteger(p.bins) || p.bins < 2) throw new Error(`logbin needs an integer bins ≥ 2, got ${p.bins}`);
    this.params = p;
    this.velocities = new VelocityBins(p.velocityBins);
    this.edges = Float64Array.from({ length: p.bins + 1 }, (_, b) => p.eps * Math.expm1(b / p.alpha));
    this.representative = Float64Array.from({ length: p.bins }, (_, b) =>
      b === 0 ? 0 : (this.edges[b] + this.edges[b + 1]) / 2,
    );
    const time = Array.from({ length: p.bins - 1 }, (_, i) => ({
      name: `TIME_${i + 1}`,
      value: this.representative[i + 1],
    }));
    this.layout = buildVocab(p.minPitch, p.maxPitch, p.velocityBins, time, p.placeholders);
    this.vocab = this.layout.vocab;
    this.rules = { scale: 1, minDuration: this.edges[1], reorderTies: false };
  }

  /** The bin of a gap in seconds: floor(alpha · log(1 + dt/eps)), checked against the edge table. */
  bin(dt: number): number {
    const { edges } = this;
    if (!(dt >= edges[1])) return 0;
    const top = this.params.bins - 1;
    let b = Math.min(top, Math.floor(this.params.alpha * Math.log1p(dt / this.params.eps)));
    // The formula can land one bin off right at an edge; the table decides.
    while (dt < edges[b]) b--;
    while (b < top && dt >= edges[b + 1]) b++;
    return b;
  }

  /**
   * The notes this scheme writes: pitch in range, and per pitch a note ends no later than the next onset
   * of that pitch (a re-struck key stops the sounding string); a note left with no length is dropped.
   * The result may alias scratch (its `end`): use it before the next encode.
   */
  prepare(notes: Notes): Notes {
    const selected = selectNotes(notes, this.params.minPitch, this.params.maxPitch);
    const end = scratchFloat64(FloatSlot.offTime, selected.length);
    end.set(selected.end);
    const kept: Notes = { ...selected, end };
    const { start, pitch } = kept;
    const order = onsetOrder(kept.length, start, pitch);
    const last = new Int32Array(128).fill(-1);
    const drop = new Uint8Array(kept.length);
    let dropped = 0;
    for (let r = 0; r < order.length; r++) {
      const i = order[r];
      const j = last[pitch[i]];
      if (j >= 0 && end[j] > start[i]) end[j] = start[i];
      if (j >= 0 && end[j] <= start[j] && !drop[j]) {
        drop[j] = 1;
        dropped++;
      }
      if (end[i] <= start[i]) {
        drop[i] = 1;
        dropped++;
      }
      last[pitch[i]] = i;
    }
    if (dropped === 0) return kept;
    const out = allocNotes(kept.length - dropped);
    for (let i = 0, w = 0; i < kept.length; i++) {
      if (drop[i]) continue;
      out.pitch[w] = pitch[i];
      out.velocity[w] = kept.velocity[i];
      out.start[w] = start[i];
      out.end[w] = end[i];
      w++;
    }
    return out;
  }

  encode(notes: Notes): Int32Array {
    const kept = this.prepare(notes);
    const { pitch, start, end, length: n } = kept;
    const events = orderEvents(n, start, end, pitch);
    const { edges, representative } = this;
    const top = this.params.bins - 1;
    const topEdge = edges[top + 1];
    let last = 0;
    for (let i = 0; i < n; i++) if (end[i] > last) last = end[i];
    // At most: 3 note tokens per note, one bin token per event, and one last-bin token per representative[top] of time.
    const out = scratchInt32(IntSlot.ids, 5 * n + Math.ceil(last / representative[top]) + 16);
    let w = 0;
    const timeBase = this.layout.timeBase - 1; // TIME_b has id timeBase − 1 + b
    const binOf = this.velocities.binOf;
    let decoded = 0; // the time the decoder will have reached: sums of representatives, in the decoder's order
    for (let e = 0; e < events.length; e++) {
      const code = events[e];
      const i = code >> 1;
      const t = code & 1 ? start[i] : end[i];
      while (t - decoded >= topEdge) {
        out[w++] = timeBase + top;
        decoded += representative[top];
      }
      const b = this.bin(t - decoded);
      if (b > 0) {
        out[w++] = timeBase + b;
        decoded += representative[b];
      }
      w = writeNoteEvent(out, w, code, kept, this.layout, binOf);
    }
    return out.slice(0, w);
  }

  /** Ids → notes, events applied in token order; a note whose on and off decode to the same time ends e_1 (the first edge) later. */
  decode(ids: ArrayLike<number>): Notes {
    return decodeEvents(ids, this.layout, this.velocities, this.rules);
  }

  /** Notes out of the pitch range plus notes cut to zero length by a same-pitch onset at the same time. */
  skippedNotes(notes: Notes): number {
    return notes.length - this.prepare(notes).length;
  }
}
