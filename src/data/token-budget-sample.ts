// A sample of a corpus's files under a budget of base tokens, kept while the files stream in, so tokenizer training
// holds at most the budget whatever the corpus size. Files are ranked by a hash of their id; the sample is the longest
// run of that ranking whose tokens fit the budget (at least one file): the same files whatever order they arrive in
// or how many workers read them. Nothing is sampled when the whole corpus fits. Not a BPE trainer (src/tokenizer/).
import { createHash } from 'node:crypto';

/** Default budget: BPE training takes about 50 bytes per base token, so this keeps a run near 2.5 GB. */
export const DEFAULT_MAX_BASE_TOKENS = 50_000_000;

/** A file's rank in the sample: the first 48 bits of the SHA-256 of its id (ties, never seen in practice, by id). */
export function sampleRank(id: string): number {
  return createHash('sha256').update(id).digest().readUIntBE(0, 6);
}

interface Entry {
  readonly rank: number;
  readonly id: string;
  /** Arrival order, so the sample is handed back in corpus order. */
  readonly order: number;
  readonly ids: Int32Array;
}

/** Keeps the lowest-ranked files that fit `maxTokens` base tokens; see the file header. */
export class TokenBudgetSample {
  private readonly heap: Entry[] = []; // max-heap by (rank, id): the next file to drop is on top
  private cut: Entry | undefined; // the lowest-ranked file dropped so far: every file ranked at or after it is out
  private arrived = 0;
  /** Base tokens of the files kept. */
  tokens = 0;
  /** Files and base tokens offered, kept or not. */
  seenFiles = 0;
  seenTokens = 0;

  constructor(readonly maxTokens: number) {
    if (!(maxTokens >= 1)) throw new Error(`the base-token budget must be at least 1, got ${maxTokens}`);
  }

  /** Offers one file's base ids. */
  offer(id: string, ids: Int32Array): void {
    const e: Entry = { rank: sampleRank(id), id, order: this.arrived++, ids };
    this.seenFiles++;
    this.seenTokens += ids.length;
    if (this.cut && !before(e, this.cut)) return;
    this.push(e);
    this.tokens += ids.length;
    while (this.tokens > this.maxTokens && this.heap.length > 1) {
      this.cut = this.pop();
      this.tokens -= this.cut.ids.length;
    }
  }

  /** Files kept. */
  get files(): number {
    return this.heap.length;
  }

  /** Whether files were left out. */
  get sampled(): boolean {
    return this.cut !== undefined;
  }

  /** The kept files' ids (base ids), in the order they were offered. */
  pieces(): Int32Array[] {
    return [...this.heap].sort((a, b) => a.order - b.order).map((e) => e.ids);
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[parent], h[i])) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length === 0) return top;
    h[0] = last;
    for (let i = 0; ; ) {
      let c = 2 * i + 1;
      if (c >= h.length) break;
      if (c + 1 < h.length && before(h[c], h[c + 1])) c++;
      if (!before(h[i], h[c])) break;
      [h[i], h[c]] = [h[c], h[i]];
      i = c;
    }
    return top;
  }
}

/** Whether `a` ranks before `b`. */
function before(a: Entry, b: Entry): boolean {
  return a.rank !== b.rank ? a.rank < b.rank : a.id < b.id;
}
