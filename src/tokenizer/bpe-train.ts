// Trains BPE merges over base ids; by hand because it must be fast (word counts, pair positions, a lazy
// max-heap, incremental counts) and Hugging Face's trainer is not in its JS package. HF BpeTrainer's semantics
// on the reference's setup (base id i = character i + 100, 128-token chunks): specials first, alphabet by code
// point, most frequent pair first, ties to the smallest (left id, right id), max_token_length as HF counts it.
// Merge for merge identical to HF's Rust trainer on the ASAP train split. Not an encoder (bpe.ts).
import { CHAR_OFFSET, CHUNK_LENGTH, PairMap, baseChar, type BpeModel } from './bpe.js';

/** Options of trainBpe; names follow Hugging Face's BpeTrainer. */
export interface BpeTrainOptions {
  /** Target vocabulary size, specials and alphabet included. */
  vocabSize: number;
  /** Size of the base vocabulary (ids must be below it). */
  baseVocabSize: number;
  /** Special tokens, given ids 0.. in this order (the first one is padding). */
  specialTokens: readonly string[];
  /** Base ids always in the alphabet even if absent from the corpus (HF `initial_alphabet`). */
  initialAlphabet?: ArrayLike<number>;
  /** HF `max_token_length`: a pair whose joined length would reach it is never counted (reference: 128). */
  maxTokenLength?: number;
  /** Called every few hundred merges and at the end with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

/** Statistics of a training run, for benchmarks and logs. */
export interface BpeTrainStats {
  baseTokens: number;
  chunks: number;
  distinctWords: number;
}

/** Trains a BPE on pieces of base ids; see the file header for the exact semantics. */
export function trainBpe(
  pieces: readonly Int32Array[],
  options: BpeTrainOptions,
  stats?: (s: BpeTrainStats) => void,
): BpeModel {
  const { vocabSize, baseVocabSize } = options;
  const maxLen = options.maxTokenLength ?? Infinity;
  if (!(baseVocabSize > 0) || baseVocabSize + 100 > 0xd800)
    throw new Error(`baseVocabSize ${baseVocabSize} must be in 1..${0xd800 - 100}`);
  if (!(maxLen >= 2)) throw new Error(`maxTokenLength ${maxLen} must be at least 2`);

  const vocab = new TokenTable(vocabSize);
  addSpecials(vocab, options.specialTokens);
  const specialCount = vocab.size;
  const { words, freq } = countWords(pieces, baseVocabSize);
  const baseToToken = addAlphabet(vocab, words, baseVocabSize, options.initialAlphabet);
  const baseTokens = pieces.reduce((s, p) => s + p.length, 0);
  if (baseTokens >= 2 ** 31)
    throw new Error(`${baseTokens} base tokens: pair counts are int32, train on fewer than 2^31`);
  stats?.({ baseTokens, chunks: freq.reduce((s, f) => s + f, 0), distinctWords: words.length });

  const corpus = new WordLists(words, freq, baseToToken);
  const pairs = new PairTable(corpus);
  const initialSize = vocab.size;
  const progress = (): void => options.onProgress?.(vocab.size - initialSize, Math.max(0, vocabSize - initialSize));
  const merges = mergeUntil(vocabSize, vocab, corpus, pairs, maxLen, progress);
  return { baseVocabSize, specialCount, tokens: vocab.tokens, merges: dedupeMerges(merges) };
}

/** An Int32Array that grows by half when full. */
class Grow32 {
  length = 0;
  data: Int32Array;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): number {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length + (this.data.length >> 1) + 16);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}

/** The vocabulary being built: token strings in id order, their ids, and their lengths in base characters. */
class TokenTable {
  readonly tokens: string[] = [];
  readonly lengths: Grow32;
  private readonly idOf = new Map<string, number>();
  constructor(capacity: number) {
    this.lengths = new Grow32(capacity);
  }
  get size(): number {
    return this.tokens.length;
  }
  /** The id of `s`, added at the end if new (an existing string keeps its id, as in HF). */
  add(s: string): number {
    let id = this.idOf.get(s);
    if (id === undefined) {
      id = this.tokens.length;
      this.tokens.push(s);
      this.lengths.push(s.length);
      this.idOf.set(s, id);
    }
    return id;
  }
}

/** Specials take the first ids; they are added tokens, never made of base characters, so must not collide with the alphabet. */
function addSpecials(vocab: TokenTable, specialTokens: readonly string[]): void {
  for (const s of specialTokens) {
    if (s.length === 0 || [...s].some((c) => c.charCodeAt(0) >= CHAR_OFFSET))
      throw new Error(
        `special token ${JSON.stringify(s)} must be non-empty, with characters below U+${CHAR_OFFSET.toString(16).padStart(4, '0')}`,
      );
    vocab.add(s);
  }
}

/** Adds the alphabet (base ids in the corpus or the initial alphabet) sorted by code point, i.e. by base id; returns base id → token id (-1 if absent). */
function addAlphabet(
  vocab: TokenTable,
  words: readonly Int32Array[],
  baseVocabSize: number,
  initialAlphabet: ArrayLike<number> = [],
): Int32Array {
  const present = new Uint8Array(baseVocabSize);
  for (const w of words) for (let i = 0; i < w.length; i++) present[w[i]] = 1;
  for (const id of Array.from(initialAlphabet)) {
    if (!(id >= 0 && id < baseVocabSize))
      throw new Error(`initialAlphabet: base id ${id} is outside 0..${baseVocabSize - 1}`);
    present[id] = 1;
  }
  const baseToToken = new Int32Array(baseVocabSize).fill(-1);
  for (let b = 0; b < baseVocabSize; b++) if (present[b]) baseToToken[b] = vocab.add(baseChar(b));
  return baseToToken;
}

/** Distinct chunks of the corpus (views into the pieces) with their frequencies, in first-seen order. */
function countWords(pieces: readonly Int32Array[], baseVocabSize: number): { words: Int32Array[]; freq: number[] } {
  const firstWithHash = new Map<number, number>(); // hash → first word with it; later ones chain through sameHash
  const sameHash: number[] = [];
  const words: Int32Array[] = [];
  const freq: number[] = [];
  pieces.forEach((piece, p) => {
    for (let i = 0; i < piece.length; i++) {
      const id = piece[i];
      if (!(id >= 0 && id < baseVocabSize))
        throw new Error(`piece ${p}: base id ${id} at ${i} is outside 0..${baseVocabSize - 1}`);
    }
    for (let off = 0; off < piece.length; off += CHUNK_LENGTH) {
      const chunk = piece.subarray(off, off + CHUNK_LENGTH);
      let h = chunk.length;
      for (let i = 0; i < chunk.length; i++) h = (Math.imul(h, 0x01000193) ^ chunk[i]) >>> 0;
      let w = firstWithHash.get(h) ?? -1;
      while (w >= 0 && !sameIds(words[w], chunk)) w = sameHash[w];
      if (w >= 0) {
        freq[w]++;
        continue;
      }
      sameHash.push(firstWithHash.get(h) ?? -1);
      firstWithHash.set(h, words.length);
      words.push(chunk);
      freq.push(1);
    }
  });
  return { words, freq };
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Every distinct word laid out in one symbol array, each word a doubly linked list of token ids that merges
 * shorten. Links are offsets to the neighbour (a word spans at most 128 positions, so one byte each); 0 ends
 * the list. A merged-away position keeps symbol -1.
 */
class WordLists {
  readonly sym: Int32Array;
  readonly toNext: Int8Array;
  readonly toPrev: Int8Array;
  /** Per position: the frequency of its word. */
  readonly weight: Int32Array;
  constructor(words: readonly Int32Array[], freq: readonly number[], baseToToken: Int32Array) {
    const total = words.reduce((s, w) => s + w.length, 0);
    this.sym = new Int32Array(total);
    this.toNext = new Int8Array(total);
    this.toPrev = new Int8Array(total);
    this.weight = new Int32Array(total);
    let at = 0;
    words.forEach((w, k) => {
      for (let i = 0; i < w.length; i++, at++) {
        this.sym[at] = baseToToken[w[i]];
        this.toPrev[at] = i === 0 ? 0 : -1;
        this.toNext[at] = i === w.length - 1 ? 0 : 1;
        this.weight[at] = freq[k];
      }
    });
  }
  get total(): number {
    return this.sym.length;
  }
}

/**
 * Pairs: id by (left, right) and count. Where each pair occurs: the corpus's initial pairs grouped by pair
 * (CSR: initStart/initPos), and pairs formed later in a linked list of records. Both may be stale (checked
 * when used): a position is never removed from them.
 */
class PairTable {
  readonly left = new Grow32(1 << 16);
  readonly right = new Grow32(1 << 16);
  readonly count = new Grow32(1 << 16);
  private readonly index = new PairMap(1 << 16);
  private readonly head = new Grow32(1 << 16);
  private readonly recPos: Grow32;
  private readonly recNext: Grow32;
  private readonly initStart: Int32Array;
  private readonly initPos: Int32Array;
  private readonly initialPairs: number;

  constructor({ sym, toNext, weight, total }: WordLists) {
    this.recPos = new Grow32(total >> 1);
    this.recNext = new Grow32(total >> 1);
    // Two passes instead of a position → pair array: the second looks each pair up again, saving 4 bytes a token.
    for (let i = 0; i < total; i++) {
      if (toNext[i] === 0) continue;
      const p = this.idOf(sym[i], sym[i + 1]); // first: it may grow count's array
      this.count.data[p] += weight[i];
    }
    const n = this.left.length;
    const start = new Int32Array(n + 1);
    for (let i = 0; i < total; i++) if (toNext[i] !== 0) start[this.index.get(sym[i], sym[i + 1]) + 1]++;
    for (let p = 0; p < n; p++) start[p + 1] += start[p];
    const pos = new Int32Array(start[n]);
    const fill = start.slice(0, n);
    for (let i = 0; i < total; i++) if (toNext[i] !== 0) pos[fill[this.index.get(sym[i], sym[i + 1])]++] = i;
    this.initStart = start;
    this.initPos = pos;
    this.initialPairs = n;
  }

  /** Number of pair ids handed out. */
  get size(): number {
    return this.left.length;
  }

  /** The id of pair (a, b), created with count 0 if new. */
  idOf(a: number, b: number): number {
    let p = this.index.get(a, b);
    if (p < 0) {
      p = this.left.push(a);
      this.right.push(b);
      this.count.push(0);
      this.head.push(-1);
      this.index.set(a, b, p);
    }
    return p;
  }

  /** Counts an occurrence of (a, b) at `pos` with weight w; returns the pair's id. */
  add(a: number, b: number, pos: number, w: number): number {
    const p = this.idOf(a, b);
    this.count.data[p] += w;
    this.recNext.push(this.head.data[p]);
    this.head.data[p] = this.recPos.push(pos);
    return p;
  }

  /** Uncounts an occurrence of (a, b) with weight w. */
  remove(a: number, b: number, w: number): void {
    const p = this.index.get(a, b);
    if (p >= 0) this.count.data[p] -= w;
  }

  /** Positions where pair p may occur (stale ones included), collected into `out`; p's later records are dropped. */
  takePositions(p: number, out: Grow32): Int32Array {
    out.length = 0;
    if (p < this.initialPairs)
      for (let k = this.initStart[p]; k < this.initStart[p + 1]; k++) out.push(this.initPos[k]);
    for (let r = this.head.data[p]; r >= 0; r = this.recNext.data[r]) out.push(this.recPos.data[r]);
    this.head.data[p] = -1;
    return out.data.subarray(0, out.length);
  }
}

/** Max-heap of (count, pair), ties to the smallest (left, right), with lazy invalidation: a stale entry is re-pushed when popped. */
class PairHeap {
  private readonly pair: Grow32;
  private readonly queued: Grow32; // the pair's count when pushed

  constructor(private readonly pairs: PairTable) {
    this.pair = new Grow32(pairs.size * 2);
    this.queued = new Grow32(pairs.size * 2);
    for (let p = 0; p < pairs.size; p++) if (pairs.count.data[p] > 0) this.push(p);
  }

  /** Queues pair p with its current count. */
  push(p: number): void {
    this.pair.push(p);
    let i = this.queued.push(this.pairs.count.data[p]);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Pops entries until one's count is current and positive; returns its pair, or -1 when none is left. */
  popBest(): number {
    const counts = this.pairs.count.data;
    while (this.pair.length > 0) {
      const top = this.pair.data[0];
      const queued = this.queued.data[0];
      this.pop();
      const count = counts[top];
      if (queued !== count) {
        if (count > 0) this.push(top);
        continue;
      }
      if (count > 0) return top;
    }
    return -1;
  }

  private pop(): void {
    const last = --this.pair.length;
    this.queued.length--;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && this.above(c + 1, c)) c++;
      if (!this.above(c, i)) break;
      this.swap(i, c);
      i = c;
    }
  }

  private above(i: number, j: number): boolean {
    const ci = this.queued.data[i];
    const cj = this.queued.data[j];
    if (ci !== cj) return ci > cj;
    const pi = this.pair.data[i];
    const pj = this.pair.data[j];
    const ai = this.pairs.left.data[pi];
    const aj = this.pairs.left.data[pj];
    return ai !== aj ? ai < aj : this.pairs.right.data[pi] < this.pairs.right.data[pj];
  }

  private swap(i: number, j: number): void {
    const pair = this.pair.data;
    const queued = this.queued.data;
    const p = pair[i];
    pair[i] = pair[j];
    pair[j] = p;
    const c = queued[i];
    queued[i] = queued[j];
    queued[j] = c;
  }
}

/** The pairs whose count one merge changed, each listed once, to re-queue after it. */
class ChangedPairs {
  readonly list = new Grow32(1024);
  /** Merges started so far. */
  round = 0;
  private stamp: Int32Array;
  constructor(pairs: number) {
    this.stamp = new Int32Array(pairs);
  }
  startRound(): void {
    this.round++;
    this.list.length = 0;
  }
  mark(p: number): void {
    if (p >= this.stamp.length) {
      const t = new Int32Array(Math.max(p + 1, this.stamp.length * 2));
      t.set(this.stamp);
      this.stamp = t;
    }
    if (this.stamp[p] !== this.round) {
      this.stamp[p] = this.round;
      this.list.push(p);
    }
  }
}

/** Merges the best pair until the vocabulary has `vocabSize` tokens or no pair is left; returns the merges as flat (left, right) ids. */
function mergeUntil(
  vocabSize: number,
  vocab: TokenTable,
  corpus: WordLists,
  pairs: PairTable,
  maxLen: number,
  progress: () => void,
): Int32Array {
  const heap = new PairHeap(pairs);
  const merges = new Grow32(2 * vocabSize);
  const changed = new ChangedPairs(pairs.size);
  const positions = new Grow32(1024);
  while (vocab.size < vocabSize) {
    const top = heap.popBest();
    if (top < 0) break;
    const a = pairs.left.data[top];
    const b = pairs.right.data[top];
    // An existing string keeps its id, as in HF. Then HF may hold two queue entries for a later pair and apply
    // it in two rounds (each to the words its entry saw); motif applies it everywhere at once: the one known difference.
    const t = vocab.add(vocab.tokens[a] + vocab.tokens[b]);
    merges.push(a);
    merges.push(b);
    changed.startRound();
    const pos = pairs.takePositions(top, positions);
    if (a === b) pos.sort(); // overlapping runs (a a a) merge left to right, as HF's Word::merge does
    mergeAt(pos, a, b, t, corpus, pairs, vocab.lengths.data, maxLen, changed);
    pairs.count.data[top] = 0;
    for (let k = 0; k < changed.list.length; k++) {
      const p = changed.list.data[k];
      if (pairs.count.data[p] > 0) heap.push(p);
    }
    if (changed.round % 256 === 0) progress();
  }
  progress();
  return merges.data.subarray(0, merges.length);
}

/**
 * Replaces (a, b) by t at each of `pos` where it still stands, and moves the counts of the neighbouring pairs
 * from (l, a) and (b, r) to (l, t) and (t, r). A new pair as long as maxLen or longer is never counted (HF).
 */
function mergeAt(
  pos: Int32Array,
  a: number,
  b: number,
  t: number,
  corpus: WordLists,
  pairs: PairTable,
  lengths: Int32Array,
  maxLen: number,
  changed: ChangedPairs,
): void {
  const { sym, toNext, toPrev, weight } = corpus;
  for (let k = 0; k < pos.length; k++) {
    const p = pos[k];
    const q = p + toNext[p];
    if (sym[p] !== a || q === p || sym[q] !== b) continue; // stale record
    const w = weight[p];
    const l = toPrev[p] === 0 ? -1 : p + toPrev[p];
    const r = toNext[q] === 0 ? -1 : q + toNext[q];
    if (l >= 0) {
      pairs.remove(sym[l], a, w);
      if (lengths[sym[l]] + lengths[t] < maxLen) changed.mark(pairs.add(sym[l], t, l, w));
    }
    if (r >= 0) {
      pairs.remove(b, sym[r], w);
      if (lengths[t] + lengths[sym[r]] < maxLen) changed.mark(pairs.add(t, sym[r], p, w));
    }
    sym[p] = t;
    sym[q] = -1;
    toNext[p] = r < 0 ? 0 : r - p;
    if (r >= 0) toPrev[r] = p - r;
  }
}

/** Keeps only the last occurrence of a repeated merge pair (HF's trained model holds merges in a map: the last rank wins). */
function dedupeMerges(flat: Int32Array): Int32Array {
  const n = flat.length / 2;
  const seen = new PairMap(n);
  const keep: number[] = [];
  for (let r = n - 1; r >= 0; r--) {
    if (seen.get(flat[2 * r], flat[2 * r + 1]) >= 0) continue;
    seen.set(flat[2 * r], flat[2 * r + 1], r);
    keep.push(r);
  }
  keep.reverse();
  const out = new Int32Array(keep.length * 2);
  keep.forEach((r, i) => {
    out[2 * i] = flat[2 * r];
    out[2 * i + 1] = flat[2 * r + 1];
  });
  return out;
}
