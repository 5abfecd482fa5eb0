// Batches for next-token training: random windows over the train pieces, and fixed windows that
// cover an evaluation split exactly once. Each piece is framed as [bos, ids…, eos]; a window that
// runs past its piece's end is filled with pad, which the model leaves out of the loss.
// Not a data loader: pieces arrive already tokenized (see corpus.ts); not a collator for PyTorch.
import { Rng, type RngState } from '../util/rng.js';

/** Special ids used to frame and pad pieces. */
export interface Framing {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
}

/** Length of a piece once framed by bos/eos. */
export function framedLength(ids: ArrayLike<number>): number {
  return ids.length + 2;
}

/** Copies framed tokens [start, start + width) of a piece into out[offset…], pad past the end. */
export function fillWindow(
  out: Int32Array,
  offset: number,
  ids: ArrayLike<number>,
  start: number,
  width: number,
  f: Framing,
): void {
  const L = framedLength(ids);
  for (let j = 0; j < width; j++) {
    const i = start + j;
    out[offset + j] = i >= L ? f.padId : i === 0 ? f.bosId : i === L - 1 ? f.eosId : ids[i - 1];
  }
}

/**
 * Random training windows of `width` tokens. A window is a (piece, start) pair, drawn uniformly
 * among all starts that keep it inside its piece (start 0 only, padded, when the piece is shorter);
 * an epoch is enough windows to hold the train tokens once. Deterministic given the seed, and the
 * RNG state can be saved and restored for an exact resume.
 */
export class TrainWindows {
  /** Framed tokens in the split as first given: the size of an epoch, whatever {@link usePieces} swaps in. */
  readonly tokens: number;
  private pieces: ReadonlyArray<ArrayLike<number>> = [];
  private cumStarts = new Float64Array(1); // cumStarts[p] = starts in pieces < p
  private rng: Rng;

  constructor(
    pieces: ReadonlyArray<ArrayLike<number>>,
    private readonly framing: Framing,
    readonly width: number,
    seed: number,
  ) {
    if (!(width >= 2)) throw new Error(`batches: a window needs at least 2 tokens, got ${width}`);
    this.usePieces(pieces);
    this.tokens = pieces.reduce((n, ids) => n + framedLength(ids), 0);
    this.rng = new Rng(seed);
  }

  /** Draws from now on from `pieces` (an epoch's augmented copy of the split); the generator goes on unchanged. */
  usePieces(pieces: ReadonlyArray<ArrayLike<number>>): void {
    if (pieces.length === 0) throw new Error('batches: the train split has no pieces');
    this.pieces = pieces;
    this.cumStarts = new Float64Array(pieces.length + 1);
    pieces.forEach((ids, p) => {
      this.cumStarts[p + 1] = this.cumStarts[p] + Math.max(1, framedLength(ids) - this.width + 1);
    });
  }

  /** Windows per epoch: the train tokens once. */
  get windowsPerEpoch(): number {
    return Math.ceil(this.tokens / this.width);
  }

  /** Optimizer steps per epoch at `batch` windows per step. */
  stepsPerEpoch(batch: number): number {
    return Math.ceil(this.windowsPerEpoch / batch);
  }

  /** The sampler's state, for checkpoints. */
  get state(): RngState {
    return this.rng.state;
  }

  set state(s: RngState) {
    this.rng.state = s;
  }

  /** Draws one window: its piece index and start. */
  draw(): { piece: number; start: number } {
    const k = this.rng.nextInt(this.cumStarts[this.pieces.length]);
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cumStarts[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    return { piece: lo, start: k - this.cumStarts[lo] };
  }

  /** The next batch: `batch` windows as a (batch, width) row-major array. */
  next(batch: number, out = new Int32Array(batch * this.width)): Int32Array {
    for (let b = 0; b < batch; b++) {
      const { piece, start } = this.draw();
      fillWindow(out, b * this.width, this.pieces[piece], start, this.width, this.framing);
    }
    return out;
  }
}

/** One fixed evaluation window. */
export interface EvalWindow {
  readonly piece: number;
  readonly start: number;
}

/**
 * Windows covering a split exactly once: in each piece they start every width − 1 tokens, so each
 * framed token after bos is a target (t > 0 of some window) exactly once, with as much context as
 * the window allows.
 */
export function evalWindows(pieces: ReadonlyArray<ArrayLike<number>>, width: number): EvalWindow[] {
  const out: EvalWindow[] = [];
  pieces.forEach((ids, piece) => {
    const L = framedLength(ids);
    for (let start = 0; start < L - 1; start += width - 1) out.push({ piece, start });
  });
  return out;
}

/** Evaluation batches of (batch, width); the last one is completed with rows of pad (no targets). */
export function* evalBatches(
  pieces: ReadonlyArray<ArrayLike<number>>,
  framing: Framing,
  width: number,
  batch: number,
): Generator<{ tokens: Int32Array; windows: EvalWindow[] }> {
  const all = evalWindows(pieces, width);
  for (let i = 0; i < all.length; i += batch) {
    const windows = all.slice(i, i + batch);
    const tokens = new Int32Array(batch * width).fill(framing.padId);
    windows.forEach((w, b) => fillWindow(tokens, b * width, pieces[w.piece], w.start, width, framing));
    yield { tokens, windows };
  }
}
