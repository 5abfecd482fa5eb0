// trainer.json inside a checkpoint folder: the trainer's own state beside the model (its step and place in
// the epoch, the batch sampler's generator, the sums of the records to come, the best validation so far,
// metrics.jsonl's length and the time spent), written with every checkpoint and read back on resume.
// What a run does with it is src/train/trainer.ts's; python/motif_run.py writes the same fields.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RngState } from '../util/rng.js';
import { readJsonFile } from '../util/json-file.js';
import { TRAINER_STATE_FILE } from './layout.js';

/** Sums over the steps since a record: the record reports their means. */
export interface StepSums {
  loss: number;
  gradNorm: number;
  steps: number;
  tokens: number;
  seconds: number;
}

/** The trainer's state at a checkpoint. */
export interface TrainerState {
  step: number;
  epochsDone: number;
  stepInEpoch: number;
  rng: RngState;
  sinceRecord: StepSums;
  sinceEpoch: StepSums;
  bestValLoss: number;
  /** Step of the checkpoint with bestValLoss (absent in checkpoints written before it was recorded). */
  bestStep?: number;
  metricsBytes: number;
  elapsed: number;
}

/** Sums over no steps. */
export const emptySums = (): StepSums => ({ loss: 0, gradNorm: 0, steps: 0, tokens: 0, seconds: 0 });

/** The state of a run before its first step, its sampler at `rng`. */
export function initialTrainerState(rng: RngState): TrainerState {
  return {
    step: 0,
    epochsDone: 0,
    stepInEpoch: 0,
    rng,
    sinceRecord: emptySums(),
    sinceEpoch: emptySums(),
    bestValLoss: Infinity,
    metricsBytes: 0,
    elapsed: 0,
  };
}

/** Reads the trainer state of the checkpoint folder `dir` (throws naming the file when it is damaged). */
export function readTrainerState(dir: string): TrainerState {
  const state = readJsonFile<TrainerState>(join(dir, TRAINER_STATE_FILE));
  state.bestValLoss ??= Infinity; // JSON has no Infinity: stored as null before any validation
  return state;
}

/** Writes `state` into the checkpoint folder `dir`. */
export function writeTrainerState(dir: string, state: TrainerState): void {
  writeFileSync(join(dir, TRAINER_STATE_FILE), JSON.stringify(state) + '\n');
}
