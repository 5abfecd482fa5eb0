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

/** Distinct chunks of the corpus (views into the pieces) with their frequencies, in first-seen order. */
function countWords(pieces: readonly Int32Array[], baseVocabSize: number): { words: Int32Array[]; freq: number[] } {
  const firstWithHash = new Map<number, number>(); // hash → first word with it; later ones chain through sameHash
  const sameHash: number[] = [];
  const words: Int32Array[] = [];
  const freq: number[] = [];
  pieces.forEach((piece, p) => {
    for (let i = 0; i < piece.length; i++) {
      const id = piece[i];
      if (!(id >= 0 && id < baseVocabSize)) throw new Error(`piece ${p}: base id ${id} at ${i} is outside 0..${baseVocabSize - 1}`);
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

/** Statistics of a training run, for benchmarks and logs. */
export interface BpeTrainStats {
  baseTokens: number;
  chunks: number;
  distinctWords: number;
}

/** Trains a BPE on pieces of base ids; see the file header for the exact semantics. */
export function trainBpe(pieces: readonly Int32Array[], options: BpeTrainOptions, stats?: (s: BpeTrainStats) => void): BpeModel {
  const { vocabSize, baseVocabSize, specialTokens } = options;
  const maxLen = options.maxTokenLength ?? Infinity;
  if (!(baseVocabSize > 0) || baseVocabSize + 100 > 0xd800) throw new Error(`baseVocabSize ${baseVocabSize} must be in 1..${0xd800 - 100}`);
  if (!(maxLen >= 2)) throw new Error(`maxTokenLength ${maxLen} must be at least 2`);

  // 1. Special tokens, then the alphabet sorted by code point (= by base id).
  const tokens: string[] = [];
  const idOf = new Map<string, number>();
  const addToken = (s: string): number => {
    let id = idOf.get(s);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(s);
      idOf.set(s, id);
    }
    return id;
  };
  for (const s of specialTokens) {
    // Specials are added tokens, never made of base characters: they must not collide with the alphabet.
    if (s.length === 0 || [...s].some((c) => c.charCodeAt(0) >= CHAR_OFFSET)) throw new Error(`special token ${JSON.stringify(s)} must be non-empty, with characters below U+${CHAR_OFFSET.toString(16).padStart(4, '0')}`);
    addToken(s);
  }
  const specialCount = tokens.length;
  const { words, freq } = countWords(pieces, baseVocabSize);
  const present = new Uint8Array(baseVocabSize);
  let total = 0;
  for (const w of words) {
    total += w.length;
    for (let i = 0; i < w.length; i++) present[w[i]] = 1;
  }
  for (const id of Array.from(options.initialAlphabet ?? [])) {
    if (!(id >= 0 && id < baseVocabSize)) throw new Error(`initialAlphabet: base id ${id} is outside 0..${baseVocabSize - 1}`);
    present[id] = 1;
  }
  const baseToToken = new Int32Array(baseVocabSize).fill(-1);
  for (let b = 0; b < baseVocabSize; b++) if (present[b]) baseToToken[b] = addToken(baseChar(b));
  const baseTokens = pieces.reduce((s, p) => s + p.length, 0);
  if (baseTokens >= 2 ** 31) throw new Error(`${baseTokens} base tokens: pair counts are int32, train on fewer than 2^31`);
  stats?.({ baseTokens, chunks: freq.reduce((s, f) => s + f, 0), distinctWords: words.length });

  // 2. Every distinct word laid out in one symbol array, each word a doubly linked list. Links are offsets
  // to the neighbour (a word spans at most 128 positions, so one byte each); 0 ends the list.
  const sym = new Int32Array(total);
  const toNext = new Int8Array(total);
  const toPrev = new Int8Array(total);
  const weight = new Int32Array(total);
  let at = 0;
  words.forEach((w, k) => {
    for (let i = 0; i < w.length; i++, at++) {
      sym[at] = baseToToken[w[i]];
      toPrev[at] = i === 0 ? 0 : -1;
      toNext[at] = i === w.length - 1 ? 0 : 1;
      weight[at] = freq[k];
    }
  });
  const tokLen = new Grow32(vocabSize);
  for (const t of tokens) tokLen.push(t.length);

  // 3. Pairs: id by (left, right) and count. Where each pair occurs: the corpus's initial pairs grouped by
  // pair (CSR: initStart/initPos), and pairs formed later in a linked list of records. Both may be stale
  // (checked when used): a position is never removed from them.
  const pairIndex = new PairMap(1 << 16);
  const pairA = new Grow32(1 << 16);
  const pairB = new Grow32(1 << 16);
  const pairCount = new Grow32(1 << 16);
  const pairHead = new Grow32(1 << 16);
  const recPos = new Grow32(total >> 1);
  const recNext = new Grow32(total >> 1);
  const pairOf = (a: number, b: number): number => {
    let p = pairIndex.get(a, b);
    if (p < 0) {
      p = pairA.push(a);
      pairB.push(b);
      pairCount.push(0);
      pairHead.push(-1);
      pairIndex.set(a, b, p);
    }
    return p;
  };
  // Two passes instead of a position → pair array: the second looks each pair up again, saving 4 bytes a token.
  for (let i = 0; i < total; i++) if (toNext[i] !== 0) pairCount.data[pairOf(sym[i], sym[i + 1])] += weight[i];
  const initStart = new Int32Array(pairA.length + 1);
  for (let i = 0; i < total; i++) if (toNext[i] !== 0) initStart[pairIndex.get(sym[i], sym[i + 1]) + 1]++;
  for (let p = 0; p < pairA.length; p++) initStart[p + 1] += initStart[p];
  const initPos = new Int32Array(initStart[pairA.length]);
  {
    const fill = initStart.slice(0, pairA.length);
    for (let i = 0; i < total; i++) if (toNext[i] !== 0) initPos[fill[pairIndex.get(sym[i], sym[i + 1])]++] = i;
  }
  const initialPairs = pairA.length;
  const addOccurrence = (p: number, pos: number, w: number): void => {
    pairCount.data[p] += w;
    recNext.push(pairHead.data[p]);
    pairHead.data[p] = recPos.push(pos);
  };

  // 4. Max-heap of (count, pair) with lazy invalidation: an entry whose count is stale is re-pushed when popped.
  const heapPair = new Grow32(pairA.length * 2);
  const heapCount = new Grow32(pairA.length * 2);
  const above = (i: number, j: number): boolean => {
    const ci = heapCount.data[i];
    const cj = heapCount.data[j];
    if (ci !== cj) return ci > cj;
    const pi = heapPair.data[i];
    const pj = heapPair.data[j];
    const ai = pairA.data[pi];
    const aj = pairA.data[pj];
    return ai !== aj ? ai < aj : pairB.data[pi] < pairB.data[pj];
  };
  const swap = (i: number, j: number): void => {
    const p = heapPair.data[i];
    heapPair.data[i] = heapPair.data[j];
    heapPair.data[j] = p;
    const c = heapCount.data[i];
    heapCount.data[i] = heapCount.data[j];
    heapCount.data[j] = c;
  };
  const heapPush = (p: number): void => {
    heapPair.push(p);
    let i = heapCount.push(pairCount.data[p]);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!above(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const heapPop = (): void => {
    const last = --heapPair.length;
    heapCount.length--;
    swap(0, last);
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && above(c + 1, c)) c++;
      if (!above(c, i)) break;
      swap(i, c);
      i = c;
    }
  };
  for (let p = 0; p < pairA.length; p++) if (pairCount.data[p] > 0) heapPush(p);

  // 5. Merges.
  const merges = new Grow32(2 * vocabSize);
  const touched = new Grow32(1024);
  let touchStamp = new Int32Array(pairA.length);
  let mergeNo = 0;
  const positions = new Grow32(1024);
  const initialSize = tokens.length;
  const progress = (): void => options.onProgress?.(tokens.length - initialSize, Math.max(0, vocabSize - initialSize));
  const decrement = (a: number, b: number, w: number): void => {
    const p = pairIndex.get(a, b);
    if (p >= 0) pairCount.data[p] -= w;
  };
  const increment = (a: number, b: number, pos: number, w: number): void => {
    if (tokLen.data[a] + tokLen.data[b] >= maxLen) return; // HF: too long to ever be counted
    const p = pairOf(a, b);
    addOccurrence(p, pos, w);
    if (p >= touchStamp.length) {
      const t = new Int32Array(Math.max(p + 1, touchStamp.length * 2));
      t.set(touchStamp);
      touchStamp = t;
    }
    if (touchStamp[p] !== mergeNo) {
      touchStamp[p] = mergeNo;
      touched.push(p);
    }
  };
  while (tokens.length < vocabSize && heapPair.length > 0) {
    const top = heapPair.data[0];
    const queued = heapCount.data[0];
    heapPop();
    const count = pairCount.data[top];
    if (queued !== count) {
      if (count > 0) heapPush(top);
      continue;
    }
    if (count <= 0) continue;
    const a = pairA.data[top];
    const b = pairB.data[top];
    // An existing string keeps its id, as in HF. Then HF may hold two queue entries for a later pair and apply
    // it in two rounds (each to the words its entry saw); motif applies it everywhere at once: the one known difference.
    const t = addToken(tokens[a] + tokens[b]);
    if (t === tokLen.length) tokLen.push(tokens[t].length);
    merges.push(a);
    merges.push(b);
    mergeNo++;
    touched.length = 0;

    positions.length = 0;
    if (top < initialPairs) for (let k = initStart[top]; k < initStart[top + 1]; k++) positions.push(initPos[k]);
    for (let r = pairHead.data[top]; r >= 0; r = recNext.data[r]) positions.push(recPos.data[r]);
    pairHead.data[top] = -1;
    const pos = positions.data.subarray(0, positions.length);
    if (a === b) pos.sort(); // overlapping runs (a a a) merge left to right, as HF's Word::merge does
    for (let k = 0; k < pos.length; k++) {
      const p = pos[k];
      const q = p + toNext[p];
      if (sym[p] !== a || q === p || sym[q] !== b) continue; // stale record
      const w = weight[p];
      const l = toPrev[p] === 0 ? -1 : p + toPrev[p];
      const r = toNext[q] === 0 ? -1 : q + toNext[q];
      if (l >= 0) {
        decrement(sym[l], a, w);
        increment(sym[l], t, l, w);
      }
      if (r >= 0) {
        decrement(b, sym[r], w);
        increment(t, sym[r], p, w);
      }
      sym[p] = t;
      sym[q] = -1;
      toNext[p] = r < 0 ? 0 : r - p;
      if (r >= 0) toPrev[r] = p - r;
    }
    pairCount.data[top] = 0;
    for (let k = 0; k < touched.length; k++) {
      const p = touched.data[k];
      if (pairCount.data[p] > 0) heapPush(p);
    }
    if (mergeNo % 256 === 0) progress();
  }
  progress();
  return { baseVocabSize, specialCount, tokens, merges: dedupeMerges(merges.data.subarray(0, merges.length)) };
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
