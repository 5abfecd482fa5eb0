// Count-based baselines that `motif perplexity` prints beside the model: a unigram and a bigram fitted on
// the train split's tokens and scored on exactly the targets the model is scored on (every framed
// token after bos, with the token before it as context). A model that does not beat the bigram has
// not yet learned more than which token tends to follow which — the first thing to know about a run.
// Witten–Bell smoothing because it has no parameter to tune (so no split to tune it on); add-one for
// the unigram so that every token of the vocabulary has a probability.
import type { Framing } from './batches.js';

/** One baseline's score of a split, in the units of the model's evaluation. */
export interface BaselineLoss {
  /** Σ −ln p(target), nats. */
  lossSum: number;
  /** Mean loss per target token (nats). */
  loss: number;
}

/** Unigram and bigram scores of one split. */
export interface NgramBaselines {
  unigram: BaselineLoss;
  bigram: BaselineLoss;
}

type Pieces = ReadonlyArray<ArrayLike<number>>;

/** Calls `visit(context, target)` for each target of each framed piece: ids…, then eos. */
function forEachTarget(pieces: Pieces, f: Framing, visit: (context: number, target: number) => void): void {
  for (const ids of pieces) {
    let context = f.bosId;
    for (let i = 0; i <= ids.length; i++) {
      const target = i < ids.length ? ids[i] : f.eosId;
      visit(context, target);
      context = target;
    }
  }
}

/** Fits both baselines on `train` and scores `evaluated`; ids are below `vocabSize`. */
export function ngramBaselines(train: Pieces, evaluated: Pieces, f: Framing, vocabSize: number): NgramBaselines {
  const V = vocabSize;
  const unigram = new Float64Array(V);
  const pairs = new Map<number, number>(); // context · V + target → count
  const contextCount = new Float64Array(V);
  const successors = new Float64Array(V); // distinct targets seen after each context (Witten–Bell's T)
  let total = 0;
  forEachTarget(train, f, (c, t) => {
    unigram[t]++;
    total++;
    contextCount[c]++;
    const key = c * V + t;
    const n = pairs.get(key);
    if (n === undefined) successors[c]++;
    pairs.set(key, (n ?? 0) + 1);
  });
  const pUnigram = (t: number): number => (unigram[t] + 1) / (total + V);
  const score = { unigram: 0, bigram: 0, targets: 0 };
  forEachTarget(evaluated, f, (c, t) => {
    const pu = pUnigram(t);
    const pb =
      contextCount[c] > 0 ? ((pairs.get(c * V + t) ?? 0) + successors[c] * pu) / (contextCount[c] + successors[c]) : pu;
    score.unigram -= Math.log(pu);
    score.bigram -= Math.log(pb);
    score.targets++;
  });
  if (score.targets === 0) throw new Error('n-gram baselines: the split has no tokens to score');
  const loss = (lossSum: number): BaselineLoss => ({ lossSum, loss: lossSum / score.targets });
  return { unigram: loss(score.unigram), bigram: loss(score.bigram) };
}
