// Batches for the contrastive objective: B pairs of random slices, the two slices of a pair taken from the
// same performance (a positive), the pairs from B different performances of B different works where the
// split has that many (another performance of the same work would be a false negative). A slice is a run
// of the framed piece ([bos, ids…, eos], as embedding windows read it) of a length drawn uniformly from
// [minTokens, maxTokens] (the whole piece when shorter), padded to maxTokens with its mask saying which
// positions are real. Deterministic given the seed; the generator's state goes into checkpoints.
// Not the language-model batches (batches.ts); slices never leave their piece, and pieces come from one split.
import { fillWindow, framedLength, type Framing } from './batches.js';
import { Rng, type RngState } from '../util/rng.js';

/** One performance of the split: its ids and the work it performs (pairs avoid two performances of one work). */
export interface SlicePiece {
  readonly ids: ArrayLike<number>;
  readonly work: string;
}

/** Two views of B pieces: rows [0, B) are the first views, rows [B, 2B) the second, each maxTokens wide. */
export interface SliceBatch {
  readonly tokens: Int32Array;
  /** 1 where a row holds a token of its slice, 0 on padding (the pooling mask). */
  readonly mask: Uint8Array;
  /** Index into the pieces of each pair. */
  readonly pieces: Int32Array;
  readonly B: number;
  readonly T: number;
}

export class SlicePairs {
  private rng: Rng;
  private readonly byWork: number[][];

  constructor(
    private readonly pieces: readonly SlicePiece[],
    private readonly framing: Framing,
    readonly minTokens: number,
    readonly maxTokens: number,
    seed: number,
  ) {
    if (pieces.length < 2)
      throw new Error(`contrastive batches need at least 2 performances, the split has ${pieces.length}`);
    if (!(Number.isInteger(minTokens) && minTokens >= 2 && maxTokens >= minTokens))
      throw new Error(`slice lengths must satisfy 2 ≤ min ≤ max, got ${minTokens}..${maxTokens}`);
    const works = new Map<string, number[]>();
    pieces.forEach((p, i) => works.set(p.work, [...(works.get(p.work) ?? []), i]));
    this.byWork = [...works.values()];
    this.rng = new Rng(seed);
  }

  get state(): RngState {
    return this.rng.state;
  }

  set state(s: RngState) {
    this.rng.state = s;
  }

  /** The next batch of `B` pairs (B ≤ the number of performances). */
  next(B: number): SliceBatch {
    if (B < 2 || B > this.pieces.length)
      throw new Error(`a contrastive batch needs 2..${this.pieces.length} pairs here, got ${B}`);
    const chosen = this.choose(B);
    const T = this.maxTokens;
    const tokens = new Int32Array(2 * B * T).fill(this.framing.padId);
    const mask = new Uint8Array(2 * B * T);
    chosen.forEach((p, b) => {
      for (const row of [b, B + b]) {
        const { start, length } = this.slice(this.pieces[p].ids);
        fillWindow(tokens, row * T, this.pieces[p].ids, start, length, this.framing);
        mask.fill(1, row * T, row * T + length);
      }
    });
    return { tokens, mask, pieces: Int32Array.from(chosen), B, T };
  }

  /** B distinct performances: one from each of B distinct works while works remain, then any not yet taken. */
  private choose(B: number): number[] {
    const works = this.byWork.map((_, i) => i);
    const taken = new Set<number>();
    const out: number[] = [];
    for (let k = 0; k < works.length && out.length < B; k++) {
      const j = k + this.rng.nextInt(works.length - k);
      [works[k], works[j]] = [works[j], works[k]];
      const members = this.byWork[works[k]];
      const p = members[this.rng.nextInt(members.length)];
      out.push(p);
      taken.add(p);
    }
    while (out.length < B) {
      const p = this.rng.nextInt(this.pieces.length);
      if (!taken.has(p)) {
        out.push(p);
        taken.add(p);
      }
    }
    return out;
  }

  /** A slice of the framed piece: length uniform in [min, max] (at most the piece), start uniform where it fits. */
  private slice(ids: ArrayLike<number>): { start: number; length: number } {
    const L = framedLength(ids);
    const length = Math.min(L, this.minTokens + this.rng.nextInt(this.maxTokens - this.minTokens + 1));
    return { start: this.rng.nextInt(L - length + 1), length };
  }
}
