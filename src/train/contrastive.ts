// Contrastive training as an objective: batches of slice pairs of the train performances (slice-pairs.ts),
// one ContrastiveModel step each, and validation on fixed slice pairs of the validation performances
// (InfoNCE loss, which picks the best checkpoint, and top-1). An epoch shows every train performance once
// as a pair on average. The trainer's other objective beside next-token prediction (language-model.ts).
import type { Framing } from './batches.js';
import { contrastiveValidation, type ContrastiveModel } from './contrastive-model.js';
import type { Objective } from './objective.js';
import { SlicePairs, type PairSampling, type SlicePiece } from './slice-pairs.js';

/** How slices are cut and batched. */
export interface SliceSettings {
  /** Pairs per batch (in-batch negatives: 2·pairs − 2 per view). */
  pairs: number;
  /** Slice lengths in tokens, drawn uniformly (a whole piece when shorter). */
  minTokens: number;
  maxTokens: number;
  seed: number;
  /** Batches of fixed validation pairs. */
  validationBatches: number;
  /** What a pair shares and how batches take works, in training and validation alike. */
  sampling: PairSampling;
  /** The train performances of epoch e in another rendition (augmented notes, re-tokenized), by draw: when
   *  given, the first views of epoch e slice draw 2e and the second views draw 2e + 1, so the two slices
   *  of a pair differ in tempo and dynamics as two performances do. Validation slices stay unaugmented. */
  trainInDraw?: (draw: number) => Promise<ReadonlyArray<ArrayLike<number>>>;
}

/** The objective of a contrastive run over the train and validation performances. */
export function contrastiveObjective(
  train: readonly SlicePiece[],
  validation: readonly SlicePiece[],
  framing: Framing,
  s: SliceSettings,
): Objective<ContrastiveModel> {
  const pairs = Math.min(s.pairs, train.length);
  const sampler = new SlicePairs(train, framing, s.minTokens, s.maxTokens, s.seed, s.sampling);
  // A seed of its own (not the run's) so the validation pairs stay the same whatever the run's seed.
  const validate = contrastiveValidation(
    validation,
    framing,
    s.minTokens,
    s.maxTokens,
    pairs,
    s.validationBatches,
    0x5eed,
    s.sampling,
  );
  let viewsOfEpoch = -1; // the epoch whose renditions the views slice (-1: the plain train split)
  return {
    stepsPerEpoch: Math.max(1, Math.ceil(train.length / pairs)),
    get rng() {
      return sampler.state;
    },
    set rng(state) {
      sampler.state = state;
    },
    perplexity: false,
    async step(model, lr, epoch) {
      if (s.trainInDraw && viewsOfEpoch !== epoch) {
        sampler.useViews(await s.trainInDraw(2 * epoch), await s.trainInDraw(2 * epoch + 1));
        viewsOfEpoch = epoch;
      }
      const batch = sampler.next(pairs);
      const r = model.trainStep(batch, lr);
      return { loss: r.loss, gradNorm: r.gradNorm, tokens: 2 * batch.B * batch.T };
    },
    async validate(model) {
      const v = validate(model);
      return { valLoss: v.loss, valTop1: v.top1 };
    },
  };
}
