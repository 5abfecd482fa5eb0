// What a training run is made of, as types: the models the trainer saves, the language models next-token
// training steps, an objective (batches, step, validation) and the data of next-token training. Shared by
// trainer.ts and the objectives (language-model.ts, contrastive.ts), so none of them imports another's loop.
import type { Framing } from './batches.js';
import type { LossModel } from './perplexity.js';
import type { MetricsRecord } from '../run/metrics-log.js';
import type { RngState } from '../util/rng.js';

/** What the trainer itself needs of a model: saving it into a checkpoint or snapshot folder. */
export interface SavableModel {
  /** Writes the model into the folder `dir` (with optimizer moments and step counter when `withOptimizer`). */
  save(dir: string, withOptimizer: boolean): void;
}

/** A language model, as next-token training needs it. */
export interface TrainableModel extends LossModel, SavableModel {
  /** Forward, backward, clip and one optimizer step on a (B, T) batch; loss is the mean over non-pad targets. */
  trainStep(tokens: Int32Array, B: number, T: number, lr: number): { loss: number; gradNorm: number };
}

/** What a run optimises: its batches, one step on the next one, and its validation (lower valLoss is better). */
export interface Objective<M extends SavableModel> {
  /** Optimizer steps in one epoch. */
  readonly stepsPerEpoch: number;
  /** The batch sampler's generator state, saved in checkpoints for an exact resume. */
  rng: RngState;
  /** Draws the next batch (of epoch `epoch`, 0-based) and trains one step on it; `tokens` counts the batch's positions. */
  step(model: M, lr: number, epoch: number): Promise<{ loss: number; gradNorm: number; tokens: number }>;
  /** Validation figures: valLoss decides the best checkpoint; the rest goes into the record as is. */
  validate(model: M): Promise<{ valLoss: number } & Partial<MetricsRecord>>;
  /** Whether exp(train loss) means something (a perplexity) and is recorded. */
  readonly perplexity: boolean;
}

/** How the trainer obtains a model: a fresh one, or one restored from a checkpoint folder. */
export interface ModelSource<M extends SavableModel = TrainableModel> {
  create(): M;
  load(dir: string): M;
}

/** Pieces as unframed ids, and the special ids to frame them. */
export interface TrainData {
  train: ReadonlyArray<ArrayLike<number>>;
  validation: ReadonlyArray<ArrayLike<number>>;
  framing: Framing;
  /**
   * The train pieces as trained on in epoch e (0-based), when they change per epoch (augmentation);
   * a pure function of e, so a resumed run gets the same pieces. `train` still sets the epoch size.
   */
  trainInEpoch?: (epoch: number) => Promise<ReadonlyArray<ArrayLike<number>>>;
}
