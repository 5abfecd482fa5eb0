// Song embeddings: one vector per piece = the mean of the model's last hidden states over the piece
// framed as bos, ids, eos (padding masked out by the native pooling), or with a contrastive model's
// head, the head's unit vector of each window's pooled state. Pieces longer than the window are cut
// into overlapping windows whose vectors are averaged (and kept, for finding a passage), batched B windows per call.
// Not a reader of datasets or stores (prepare.ts, store.ts): ids and notes in, vectors out.
import type { Notes } from '../midi/notes.js';
import type { EmbeddingHead } from '../model/embedding-head.js';
import type { Transformer } from '../model/transformer.js';
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { embeddingDim, type RunModel } from '../run/run-model.js';

/** One window of a framed sequence: positions [start, end) and its weight in the piece's average. */
export interface Window {
  start: number;
  end: number;
  /** Positions this window adds beyond the previous one (the first window: all of its own). */
  weight: number;
}

/** How sequences are cut and batched. */
export interface ExtractOptions {
  /** Window length T (default: the model's maxLen). */
  window?: number;
  /** Share of a window that overlaps the previous one, in [0, 1) (default 0.5). */
  overlap?: number;
  /** Windows per native call (default 8). */
  batch?: number;
  /** Called after each batch with the number of tokens embedded in it. */
  onTokens?: (tokens: number) => void;
  /** A contrastive model's head: each window's pooled state goes through it (a piece is the mean of its windows' embeddings). */
  head?: EmbeddingHead;
  /** Pool the output of this many blocks instead of the last hidden state (Transformer.embed). */
  layer?: number;
}

/** How a run's model cuts, batches and pools (a layer, or a head that projects) windows: the options embedding calls take. */
export function runExtraction(run: RunModel): Pick<ExtractOptions, 'window' | 'batch' | 'head' | 'layer'> {
  return { window: run.window, batch: run.batch, head: run.head, layer: run.layer };
}

/**
 * The windows covering a sequence of n positions: starts 0, s, 2s, ... with stride s = T·(1 − overlap),
 * the last one moved back to end exactly at n so no window is a short tail. Each window's weight is the
 * count of positions it covers first. Weighting by new positions makes the average close to the mean
 * over all n positions (each position counted about once) while each position still sees up to T−1
 * tokens of left context; equal weights would over-count the stretch a moved-back last window repeats.
 */
export function windowPlan(n: number, T: number, overlap = 0.5): Window[] {
  if (!(T >= 1) || !Number.isInteger(T)) throw new Error(`window length must be a positive integer, got ${T}`);
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${overlap}`);
  if (n <= T) return [{ start: 0, end: n, weight: n }];
  const stride = Math.max(1, Math.round(T * (1 - overlap)));
  const out: Window[] = [];
  let covered = 0;
  for (let start = 0; ; start += stride) {
    const s = Math.min(start, n - T);
    out.push({ start: s, end: s + T, weight: s + T - covered });
    covered = s + T;
    if (covered >= n) return out;
  }
}

/** Tokens the model reads to embed sequences of these lengths: overlapping positions count once per window. */
export function windowTokens(sequences: readonly ArrayLike<number>[], T: number, overlap = 0.5): number {
  return sequences.reduce((n, s) => n + windowPlan(s.length, T, overlap).reduce((m, w) => m + w.end - w.start, 0), 0);
}

/** The special ids that frame a piece. */
export interface Framing {
  readonly bosId: number;
  readonly eosId: number;
}

/** `ids` framed as the model saw pieces in training: bos, ids, eos. */
export function frame(ids: ArrayLike<number>, tokenizer: Framing): Int32Array {
  const out = new Int32Array(ids.length + 2);
  out[0] = tokenizer.bosId;
  out.set(ids, 1);
  out[out.length - 1] = tokenizer.eosId;
  return out;
}

/** One window's own embedding: positions [start, end) of the framed sequence. */
export interface WindowVector {
  start: number;
  end: number;
  vector: Float32Array;
}

/** Embeds framed sequences: one (C) vector per sequence, windows weighted as {@link windowPlan} says. */
export function embedSequences(
  model: Transformer,
  sequences: readonly Int32Array[],
  options: ExtractOptions = {},
): Float32Array[] {
  return embedWindows(model, sequences, options).vectors;
}

/**
 * {@link embedSequences}, also keeping each window's own vector (windows of a sequence in order): a passage
 * is found by the window that holds it, which the piece's average blurs with everything else it plays.
 */
export function embedWindows(
  model: Transformer,
  sequences: readonly Int32Array[],
  options: ExtractOptions = {},
): { vectors: Float32Array[]; windows: WindowVector[][] } {
  const T = options.window ?? model.config.maxLen;
  if (T > model.config.maxLen)
    throw new Error(`window ${T} is longer than the model's context (${model.config.maxLen})`);
  const B = Math.max(1, options.batch ?? 8);
  const head = options.head;
  const C = embeddingDim({ model, head });
  const pad = Math.max(0, model.config.padId);
  const jobs: Array<{ seq: number; index: number } & Window> = [];
  const windows: WindowVector[][] = sequences.map((s, seq) => {
    if (s.length === 0) throw new Error(`sequence ${seq} is empty`);
    return windowPlan(s.length, T, options.overlap).map((w, index) => {
      jobs.push({ seq, index, ...w });
      return { start: w.start, end: w.end, vector: new Float32Array(C) };
    });
  });
  // Longest first, so each batch is padded only up to its own longest window.
  jobs.sort((a, b) => b.end - b.start - (a.end - a.start) || a.seq - b.seq || a.start - b.start);
  const sums = sequences.map(() => new Float64Array(C));
  const totals = new Float64Array(sequences.length);
  for (let i = 0; i < jobs.length; i += B) {
    const group = jobs.slice(i, i + B);
    const Tb = group[0].end - group[0].start;
    const tokens = new Int32Array(group.length * Tb).fill(pad);
    const mask = new Uint8Array(group.length * Tb);
    group.forEach((w, b) => {
      tokens.set(sequences[w.seq].subarray(w.start, w.end), b * Tb);
      mask.fill(1, b * Tb, b * Tb + (w.end - w.start));
    });
    const pooled = model.embed(tokens, mask, group.length, Tb, options.layer); // (b, d_model)
    const vectors = head ? head.forward(pooled, group.length).z : pooled; // (b, C)
    let count = 0;
    group.forEach((w, b) => {
      const sum = sums[w.seq];
      for (let c = 0; c < C; c++) sum[c] += w.weight * vectors[b * C + c];
      windows[w.seq][w.index].vector.set(vectors.subarray(b * C, (b + 1) * C));
      totals[w.seq] += w.weight;
      count += w.end - w.start;
    });
    options.onTokens?.(count);
  }
  return { vectors: sums.map((sum, s) => Float32Array.from(sum, (x) => x / totals[s])), windows };
}

/** The embedding of one piece given as notes (e.g. a MIDI file never seen before). */
export function embedNotes(
  model: Transformer,
  tokenizer: Framing & Pick<MidiTokenizer, 'encode'>,
  notes: Notes,
  options: ExtractOptions = {},
): Float32Array {
  return embedSequences(model, [frame(tokenizer.encode(notes), tokenizer)], options)[0];
}
