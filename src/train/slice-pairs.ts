// Batches for the contrastive objective: B pairs of random slices, the two slices of a pair a positive, the
// pairs from B different works where the split has that many (another performance of the same work would be
// a false negative). What a positive shares is a setting (`Positives`): the performance (both slices from
// one performance, as in Aria), the work (the second slice anywhere in another performance of the same work
// when the split has one: what `motif evaluate` counts as a hit, and what a performance alone cannot
// teach, since two slices of one recording also share its tempo, dynamics and instrument), or the passage
// (the second slice from another performance of the work at the same place: the same share of its tokens,
// as long as the first). Two performances of a work play the same notes, so a token's share of its
// performance marks nearly the same bar in both: on ASAP's train split 90% of performances are within 5% of
// their work's median token count (repeats taken or skipped are the exceptions). A slice is a run
// of the framed piece ([bos, ids…, eos], as embedding windows read it) of a length drawn uniformly from
// [minTokens, maxTokens] (the whole piece when shorter), padded to maxTokens with its mask saying which
// positions are real. With `worksPerComposer` K > 0 a batch takes its works K by composer (composers in a random
// order, each composer's K works at random; all of them when it has fewer), so that each slice meets slices by
// its own composer in every batch: drawn uniformly over works, ASAP's train split gives a batch of 32 about
// eight pairs of Bach and of Beethoven but under two of Schubert, Haydn or Schumann, too few for the
// composer share of the target (info-nce.ts) to say what those composers have in common (metric learning's
// "m per class" sampler). Deterministic given the seed; the generator's state goes into checkpoints.
// Not the language-model batches (batches.ts); slices never leave their piece, and pieces come from one split.
import { fillWindow, framedLength, type Framing } from './batches.js';
import { Rng, type RngState } from '../util/rng.js';

/** One performance of the split: its ids, the work it performs (pairs avoid two performances of one work) and
 *  its composer when known (group targets, info-nce.ts). */
export interface SlicePiece {
  readonly ids: ArrayLike<number>;
  readonly work: string;
  readonly composer?: string;
}

/** What the two slices of a positive pair share: one performance, one work (two performances when there are), or
 *  one passage of a work (two performances at the same place when there are). */
export type Positives = 'performance' | 'work' | 'passage';
export const POSITIVES: readonly Positives[] = ['performance', 'work', 'passage'];

/** How pairs are drawn: what a positive shares (default performance), and works per composer in a batch (0: off). */
export interface PairSampling {
  readonly positives?: Positives;
  readonly worksPerComposer?: number;
}

/** Two views of B pieces: rows [0, B) are the first views, rows [B, 2B) the second, each maxTokens wide. */
export interface SliceBatch {
  readonly tokens: Int32Array;
  /** 1 where a row holds a token of its slice, 0 on padding (the pooling mask). */
  readonly mask: Uint8Array;
  /** Index into the pieces of each row (2B: the first views' performances, then the second views'). */
  readonly pieces: Int32Array;
  /** The composer of each pair as an index (−1: unknown): the groups of InfoNCE's group targets. */
  readonly composers: Int32Array;
  readonly B: number;
  readonly T: number;
}

export class SlicePairs {
  private rng: Rng;
  /** The ids each view slices, by performance: the pieces' own until {@link useViews}. */
  private views: [ReadonlyArray<ArrayLike<number>>, ReadonlyArray<ArrayLike<number>>];
  private readonly byWork: number[][];
  /** Index into byWork of each performance. */
  private readonly workOf: Int32Array;
  /** Composer index of each performance (−1: unknown). */
  private readonly composerOf: Int32Array;
  /** Indexes into byWork of each composer's works (a work without a composer is a group of its own). */
  private readonly worksByComposer: number[][];
  readonly positives: Positives;
  readonly worksPerComposer: number;

  constructor(
    private readonly pieces: readonly SlicePiece[],
    private readonly framing: Framing,
    readonly minTokens: number,
    readonly maxTokens: number,
    seed: number,
    sampling: PairSampling = {},
  ) {
    const { positives = 'performance', worksPerComposer = 0 } = sampling;
    if (pieces.length < 2)
      throw new Error(`contrastive batches need at least 2 performances, the split has ${pieces.length}`);
    if (!(Number.isInteger(minTokens) && minTokens >= 2 && maxTokens >= minTokens))
      throw new Error(`slice lengths must satisfy 2 ≤ min ≤ max, got ${minTokens}..${maxTokens}`);
    const works = new Map<string, number[]>();
    pieces.forEach((p, i) => works.set(p.work, [...(works.get(p.work) ?? []), i]));
    this.byWork = [...works.values()];
    this.workOf = new Int32Array(pieces.length);
    this.byWork.forEach((members, w) => members.forEach((p) => (this.workOf[p] = w)));
    const composers = [...new Set(pieces.flatMap((p) => (p.composer === undefined ? [] : [p.composer])))];
    this.composerOf = Int32Array.from(pieces, (p) => (p.composer === undefined ? -1 : composers.indexOf(p.composer)));
    if (!POSITIVES.includes(positives))
      throw new Error(`positives must be ${POSITIVES.join(' or ')}, got ${String(positives)}`);
    if (!(Number.isInteger(worksPerComposer) && worksPerComposer >= 0))
      throw new Error(`works per composer must be a whole number ≥ 0, got ${worksPerComposer}`);
    this.positives = positives;
    this.worksPerComposer = worksPerComposer;
    const groups = new Map<string, number[]>();
    this.byWork.forEach((members, w) => {
      const c = this.composerOf[members[0]];
      const key = c >= 0 ? `composer ${c}` : `work ${w}`;
      groups.set(key, [...(groups.get(key) ?? []), w]);
    });
    this.worksByComposer = [...groups.values()];
    this.rng = new Rng(seed);
    const own = pieces.map((p) => p.ids);
    this.views = [own, own];
  }

  /** From now on the first views slice `first[p]` and the second views `second[p]` for performance p (e.g.
   *  two augmented renditions of the split, contrastive.ts), in the pieces' order. */
  useViews(first: ReadonlyArray<ArrayLike<number>>, second: ReadonlyArray<ArrayLike<number>>): void {
    if (first.length !== this.pieces.length || second.length !== this.pieces.length)
      throw new Error(
        `views of ${first.length} and ${second.length} performances for a split of ${this.pieces.length}`,
      );
    this.views = [first, second];
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
    const pieces = new Int32Array(2 * B);
    const put = (row: number, ids: ArrayLike<number>, { start, length }: Slice) => {
      fillWindow(tokens, row * T, ids, start, length, this.framing);
      mask.fill(1, row * T, row * T + length);
    };
    chosen.forEach((p, b) => {
      const q = this.partner(p);
      pieces[b] = p;
      pieces[B + b] = q;
      const first = this.views[0][p],
        second = this.views[1][q];
      const slice = this.slice(first);
      put(b, first, slice);
      put(
        B + b,
        second,
        this.positives === 'passage' && q !== p ? samePlace(slice, first, second) : this.slice(second),
      );
    });
    return { tokens, mask, pieces, composers: Int32Array.from(chosen, (p) => this.composerOf[p]), B, T };
  }

  /** The performance the second view of `p`'s pair comes from: `p`, or another performance of its work (work, passage). */
  private partner(p: number): number {
    if (this.positives === 'performance') return p;
    const others = this.byWork[this.workOf[p]].filter((q) => q !== p);
    return others.length ? others[this.rng.nextInt(others.length)] : p;
  }

  /** B distinct performances: one from each of B distinct works while works remain, then any not yet taken. */
  private choose(B: number): number[] {
    const taken = new Set<number>();
    const out: number[] = [];
    const take = (work: number) => {
      const members = this.byWork[work];
      const p = members[this.rng.nextInt(members.length)];
      out.push(p);
      taken.add(p);
    };
    if (this.worksPerComposer > 0) {
      const K = this.worksPerComposer;
      const composers = this.shuffled(this.worksByComposer.map((works) => this.shuffled(works)));
      for (const works of [...composers.map((w) => w.slice(0, K)), ...composers.map((w) => w.slice(K))])
        for (const work of works) if (out.length < B) take(work);
    } else {
      const works = this.byWork.map((_, i) => i);
      for (let k = 0; k < works.length && out.length < B; k++) {
        const j = k + this.rng.nextInt(works.length - k);
        [works[k], works[j]] = [works[j], works[k]];
        take(works[k]);
      }
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

  /** A copy of `xs` in a random order (Fisher–Yates). */
  private shuffled<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let k = out.length - 1; k > 0; k--) {
      const j = this.rng.nextInt(k + 1);
      [out[k], out[j]] = [out[j], out[k]];
    }
    return out;
  }

  /** A slice of the framed piece: length uniform in [min, max] (at most the piece), start uniform where it fits. */
  private slice(ids: ArrayLike<number>): Slice {
    const L = framedLength(ids);
    const length = Math.min(L, this.minTokens + this.rng.nextInt(this.maxTokens - this.minTokens + 1));
    return { start: this.rng.nextInt(L - length + 1), length };
  }
}

/** A run of a framed piece: positions [start, start + length). */
interface Slice {
  start: number;
  length: number;
}

/** The slice of `to` at the place `slice` has in `from`: as long (at most `to`), centred on the same share of its tokens. */
export function samePlace(slice: Slice, from: ArrayLike<number>, to: ArrayLike<number>): Slice {
  const L = framedLength(to);
  const length = Math.min(L, slice.length);
  const centre = ((slice.start + slice.length / 2) / framedLength(from)) * L;
  return { start: Math.max(0, Math.min(L - length, Math.round(centre - length / 2))), length };
}
