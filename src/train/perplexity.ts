// Loss of a model over a whole split: the fixed windows of batches.ts, summed exactly once per target
// token, turned into mean loss, perplexity and bits per note. No gradients, no sampling.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { evalBatches, type Framing } from './batches.js';

/** What evaluation needs of a model: summed next-token loss (nats) and target count of a (B, T) batch; pad targets ignored. */
export interface LossModel {
  evalLoss(tokens: Int32Array, B: number, T: number): { lossSum: number; count: number };
}

/** Loss of a split. */
export interface SplitLoss {
  /** Σ −ln p(target) over every target token, in nats. */
  lossSum: number;
  /** Target tokens scored (each framed token after bos, once). */
  targets: number;
  /** Mean loss per target token (nats). */
  loss: number;
  /** exp(loss): depends on the vocabulary, so compare runs with bits per note instead. */
  perplexity: number;
}

/**
 * Evaluates `pieces` (unframed ids) in fixed windows of `width` tokens, `batch` windows at a time. Yields to
 * the event loop between batches: a validation can take minutes, and Ctrl-C (a second one quits at once)
 * must be heard during it.
 */
export async function evaluatePieces(
  model: LossModel,
  pieces: ReadonlyArray<ArrayLike<number>>,
  framing: Framing,
  width: number,
  batch: number,
): Promise<SplitLoss> {
  let lossSum = 0;
  let targets = 0;
  for (const { tokens } of evalBatches(pieces, framing, width, batch)) {
    await yieldToEventLoop();
    const r = model.evalLoss(tokens, batch, width);
    lossSum += r.lossSum;
    targets += r.count;
  }
  if (targets === 0) throw new Error('evaluate: the split has no tokens to score');
  const loss = lossSum / targets;
  return { lossSum, targets, loss, perplexity: Math.exp(loss) };
}

/** Bits per note: the split's total NLL in bits over its number of notes; comparable across vocabularies. */
export function bitsPerNote(lossSum: number, notes: number): number {
  if (!(notes > 0))
    throw new Error('evaluate: bits per note needs a note count > 0 (is the shard index missing notes?)');
  return lossSum / Math.LN2 / notes;
}
