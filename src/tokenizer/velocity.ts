// Velocity bins shared by the note schemes: the reference tokenizer's edges floor(linspace(0, 128, n + 1)),
// a velocity's bin is numpy's digitize(v, edges) − 1 and a bin decodes to the integer midpoint of its edges.
// Lookup tables only; nothing here knows about tokens or time.

/** Velocity quantizer with `count` bins, built once and used as table lookups. */
export class VelocityBins {
  /** Bin edges, `count + 1` of them; bin b holds velocities in [edges[b], edges[b + 1]). */
  readonly edges: Int32Array;
  /** Bin of each velocity 0..255, for hot loops that index it directly. */
  readonly binOf = new Uint8Array(256);
  private readonly mid: Uint8Array;

  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1 || count > 128)
      throw new Error(`velocity bins must be an integer in 1..128, got ${count}`);
    // numpy's linspace is arange(n + 1) * (128 / n) with the last value pinned to 128; floor as astype(int).
    const step = 128 / count;
    this.edges = Int32Array.from({ length: count + 1 }, (_, i) => (i === count ? 128 : Math.floor(i * step)));
    for (let v = 0; v < 256; v++) {
      let b = 0;
      while (b + 1 < count && this.edges[b + 1] <= v) b++;
      this.binOf[v] = b; // velocities ≥ 128 cannot come from MIDI; they share the top bin
    }
    // At least 1: a MIDI note-on with velocity 0 is a note-off (only reachable with more than 64 bins).
    this.mid = Uint8Array.from({ length: count }, (_, b) =>
      Math.max(1, Math.floor((this.edges[b] + this.edges[b + 1]) / 2)),
    );
  }

  /** The bin of a MIDI velocity 0..127. */
  bin(velocity: number): number {
    return this.binOf[velocity & 255];
  }

  /** The velocity a bin decodes to: the integer midpoint of its edges. */
  velocity(bin: number): number {
    return this.mid[bin];
  }
}
