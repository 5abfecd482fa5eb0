// Next-token prediction as a training objective: random windows of the train pieces (augmented per epoch
// when the run asks), one model.trainStep per batch, validation loss over fixed windows covering the
// validation split once. The trainer's default objective; contrastive.ts is the other.
import { TrainWindows } from './batches.js';
import { evaluatePieces } from './perplexity.js';
import type { TrainOptions } from '../run/train-options.js';
import type { Objective, TrainableModel, TrainData } from './objective.js';

/** The objective of a language-model run over `data`, with the run's batch, window and seed. */
export function languageModelObjective(data: TrainData, o: TrainOptions): Objective<TrainableModel> {
  const windows = new TrainWindows(data.train, data.framing, o.seqLen, o.seed);
  const batch = new Int32Array(o.batchSize * o.seqLen);
  let piecesOfEpoch = -1; // the epoch whose pieces the windows draw from (-1: the plain train split)
  return {
    stepsPerEpoch: windows.stepsPerEpoch(o.batchSize),
    get rng() {
      return windows.state;
    },
    set rng(state) {
      windows.state = state;
    },
    perplexity: true,
    async step(model, lr, epoch) {
      if (data.trainInEpoch && piecesOfEpoch !== epoch) {
        windows.usePieces(await data.trainInEpoch(epoch));
        piecesOfEpoch = epoch;
      }
      windows.next(o.batchSize, batch);
      return { ...model.trainStep(batch, o.batchSize, o.seqLen, lr), tokens: o.batchSize * o.seqLen };
    },
    async validate(model) {
      const v = await evaluatePieces(model, data.validation, data.framing, o.seqLen, o.batchSize);
      return { valLoss: v.loss, valPerplexity: v.perplexity };
    },
  };
}
