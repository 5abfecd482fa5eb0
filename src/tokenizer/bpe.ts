// BPE over base-token ids: the model (vocabulary + ranked merges), the encoder and the decoder.
// Base id i is the character U+(i + 100), as in the reference (AwesomeMidiTokenizer); a piece is cut
// into chunks of 128 base tokens and merges never cross a chunk, exactly as Hugging Face's BPE
// applies merges within each pre-tokenized word. Training lives in bpe-train.ts, JSON in tokenizer-json.ts.

/** Code point of base id 0; the offset keeps NUL, newline and space out of the alphabet. */
export const CHAR_OFFSET = 100;
/** Base tokens per chunk (one pre-tokenized "word"); merges never cross a chunk. */
export const CHUNK_LENGTH = 128;

/** A trained BPE: token strings in id order (special tokens first) and merges in rank order. */
export interface BpeModel {
  /** Size of the base vocabulary the characters come from. */
  readonly baseVocabSize: number;
  /** Number of special tokens; they hold ids 0..specialCount-1 and are not made of base characters. */
  readonly specialCount: number;
  /** Token strings, `tokens[id]`; specials, then the alphabet (one character each, by code point), then merged tokens. */
  readonly tokens: readonly string[];
  /** Merges in rank order, flattened: merge r joins ids `merges[2r]` and `merges[2r + 1]`. */
  readonly merges: Int32Array;
}

/** The character of base id `id`. */
export function baseChar(id: number): string {
  return String.fromCharCode(id + CHAR_OFFSET);
}

/** A piece's text as fed to Hugging Face: its chunks of CHUNK_LENGTH characters joined by spaces. */
export function baseIdsToText(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && i % CHUNK_LENGTH === 0) s += ' ';
    s += String.fromCharCode(ids[i] + CHAR_OFFSET);
  }
  return s;
}

/** Open-addressing map from an ordered pair of non-negative ints to a non-negative int; typed arrays, no deletion. */
export class PairMap {
  private table: Int32Array; // slots of [a, b, value]; a = -1 marks an empty slot (one cache line per probe)
  private mask: number;
  /** Number of stored pairs. */
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = new Int32Array(cap * 3).fill(-1);
    this.mask = cap - 1;
  }

  /** Offset of (a, b)'s slot, or of the empty slot where it would go. */
  private slot(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
    h = (h ^ (h >>> 15)) & this.mask;
    const t = this.table;
    for (;;) {
      const o = h * 3;
      const k = t[o];
      if (k === -1 || (k === a && t[o + 1] === b)) return o;
      h = (h + 1) & this.mask;
    }
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const o = this.slot(a, b);
    return this.table[o] === -1 ? -1 : this.table[o + 2];
  }

  /** Sets the value of (a, b). */
  set(a: number, b: number, v: number): void {
    const o = this.slot(a, b);
    if (this.table[o] === -1) {
      this.table[o] = a;
      this.table[o + 1] = b;
      this.size++;
    }
    this.table[o + 2] = v;
    if (this.size * 2 > this.mask) this.grow();
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2).fill(-1);
    this.mask = this.mask * 2 + 1;
    for (let o = 0; o < old.length; o += 3) {
      if (old[o] === -1) continue;
      const n = this.slot(old[o], old[o + 1]);
      this.table[n] = old[o];
      this.table[n + 1] = old[o + 1];
      this.table[n + 2] = old[o + 2];
    }
  }
}

/** Encodes base ids to BPE ids and back, for one BpeModel. */
export class BpeCodec {
  /** The model this codec applies. */
  readonly model: BpeModel;
  private readonly baseToToken: Int32Array; // base id → BPE id of its character, -1 if not in the alphabet
  private readonly mergeRank: PairMap; // (left, right) → rank
  private readonly mergeResult: Int32Array; // rank → BPE id of the joined token
  private readonly pieceStart: Int32Array; // BPE id → offset in pieceIds; (V + 1)
  private readonly pieceIds: Int32Array; // base ids of every token, concatenated
  // Scratch for one chunk: symbols as a linked list over positions, and a min-heap of rank * 256 + position.
  private readonly sym = new Int32Array(CHUNK_LENGTH);
  private readonly next = new Int32Array(CHUNK_LENGTH);
  private readonly prev = new Int32Array(CHUNK_LENGTH);
  private readonly rankAt = new Int32Array(CHUNK_LENGTH); // rank of the pair starting at each position, -1: none
  private readonly heap = new Int32Array(CHUNK_LENGTH * 4);
  private heapSize = 0;

  constructor(model: BpeModel) {
    this.model = model;
    const { tokens, merges, specialCount, baseVocabSize } = model;
    const idOf = new Map<string, number>();
    tokens.forEach((t, id) => idOf.set(t, id));
    this.baseToToken = new Int32Array(baseVocabSize).fill(-1);
    this.pieceStart = new Int32Array(tokens.length + 1);
    let total = 0;
    for (let id = 0; id < tokens.length; id++) {
      this.pieceStart[id] = total;
      if (id >= specialCount) total += tokens[id].length;
    }
    this.pieceStart[tokens.length] = total;
    this.pieceIds = new Int32Array(total);
    for (let id = specialCount; id < tokens.length; id++) {
      const t = tokens[id];
      for (let k = 0; k < t.length; k++) {
        const base = t.charCodeAt(k) - CHAR_OFFSET;
        if (base < 0 || base >= baseVocabSize)
          throw new Error(`BPE token ${id} has a character outside the base vocabulary (size ${baseVocabSize})`);
        this.pieceIds[this.pieceStart[id] + k] = base;
      }
      if (t.length === 1) this.baseToToken[t.charCodeAt(0) - CHAR_OFFSET] = id;
    }
    const nMerges = merges.length / 2;
    if (nMerges >= 1 << 23) throw new Error(`${nMerges} merges: the encoder's heap keys hold at most 2^23`);
    this.mergeRank = new PairMap(nMerges);
    this.mergeResult = new Int32Array(nMerges);
    for (let r = 0; r < nMerges; r++) {
      const a = merges[2 * r];
      const b = merges[2 * r + 1];
      const joined = idOf.get(tokens[a] + tokens[b]);
      if (joined === undefined)
        throw new Error(`BPE merge ${r} (${a}, ${b}) makes a token missing from the vocabulary`);
      this.mergeRank.set(a, b, r); // a repeated pair keeps its last rank, as Hugging Face does
      this.mergeResult[r] = joined;
    }
  }

  /** Number of BPE ids (specials included). */
  get vocabSize(): number {
    return this.model.tokens.length;
  }

  /** Base ids → BPE ids, chunk by chunk. Throws on a base id outside the alphabet. */
  encode(baseIds: ArrayLike<number>): Int32Array {
    // No chunk cache (unlike HF's word cache): 128-token chunks of music almost never repeat
    // (ASAP train split: 87,226 distinct of 87,330), so a cache would cost more than it saves.
    const out = new Int32Array(baseIds.length);
    let n = 0;
    for (let off = 0; off < baseIds.length; off += CHUNK_LENGTH) {
      this.encodeChunk(baseIds, off, Math.min(off + CHUNK_LENGTH, baseIds.length));
      for (let i = 0; i >= 0; i = this.next[i]) out[n++] = this.sym[i];
    }
    return out.slice(0, n);
  }

  /**
   * Applies merges by rank (leftmost first on ties) to base ids [from, to), as Hugging Face's BPE does on
   * one word; leaves the result as the linked list sym/next from position 0.
   */
  private encodeChunk(baseIds: ArrayLike<number>, from: number, to: number): void {
    const { sym, next, prev, rankAt, mergeResult, baseToToken } = this;
    const n = to - from;
    for (let i = 0; i < n; i++) {
      const b = baseIds[from + i];
      const t = b >= 0 && b < baseToToken.length ? baseToToken[b] : -1;
      if (t < 0)
        throw new Error(
          `base id ${b} is not in the BPE alphabet (never seen in training and not in its initial alphabet)`,
        );
      sym[i] = t;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    this.heapSize = 0;
    for (let i = 0; i + 1 < n; i++) this.offer(i);
    while (this.heapSize > 0) {
      const top = this.pop();
      const pos = top & 255;
      const rank = top >> 8;
      if (sym[pos] < 0 || rankAt[pos] !== rank) continue; // stale: the pair at pos has changed since
      const right = next[pos];
      sym[pos] = mergeResult[rank];
      sym[right] = -1;
      next[pos] = next[right];
      if (next[pos] >= 0) prev[next[pos]] = pos;
      if (prev[pos] >= 0) this.offer(prev[pos]);
      if (next[pos] >= 0) this.offer(pos);
      else rankAt[pos] = -1;
    }
  }

  /** Records the rank of the pair now starting at `pos` and queues it if it has a merge: key rank · 256 + pos, smallest first. */
  private offer(pos: number): void {
    const r = this.mergeRank.get(this.sym[pos], this.sym[this.next[pos]]);
    this.rankAt[pos] = r;
    if (r < 0) return;
    const heap = this.heap;
    const v = (r << 8) | pos;
    let i = this.heapSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= v) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = v;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const size = --this.heapSize;
    const last = heap[size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1] < heap[c]) c++;
      if (heap[c] >= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return top;
  }

  /** BPE ids → base ids; special ids are skipped, unknown ids throw. */
  decode(ids: ArrayLike<number>): Int32Array {
    const { pieceStart, pieceIds } = this;
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.vocabSize))
        throw new Error(`BPE id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      total += pieceStart[id + 1] - pieceStart[id];
    }
    const out = new Int32Array(total);
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      out.set(pieceIds.subarray(pieceStart[id], pieceStart[id + 1]), n);
      n += pieceStart[id + 1] - pieceStart[id];
    }
    return out;
  }
}
