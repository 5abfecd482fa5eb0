// A contrastive run (`motif train --objective contrastive --init <run|model>`): what it records in its
// config.json (the language model it starts from and the objective's settings) and what the trainer gets
// for it (the slice-pair objective, and models: the init weights with a fresh optimizer and a new head).
// run.ts creates, resumes and locks the run as any other; the loop is trainer.ts's.
import { join, relative, resolve } from 'node:path';
import { EmbeddingHead } from '../model/embedding-head.js';
import { modelConfig, type ModelConfig } from '../model/config.js';
import type { Precision } from '../model/precision.js';
import { Transformer } from '../model/transformer.js';
import { resolveCheckpoint } from '../run/checkpoint-choice.js';
import { contrastiveObjective, type SliceSettings } from './contrastive.js';
import { ContrastiveModel } from './contrastive-model.js';
import type { Corpus } from './corpus.js';
import { MODEL_FILE } from '../run/layout.js';
import type { Objective, ModelSource } from './objective.js';
import { optimizerConfig, resolveTrainOptions, type TrainOptions } from '../run/train-options.js';
import { Rng } from '../util/rng.js';
import { CONTRASTIVE_DEFAULTS, readRunConfig, type ContrastiveRecord, type RunConfig } from '../run/config.js';

/** Settings a user may give (flags); the rest come from the init run. */
export type ContrastiveFlags = Partial<Omit<ContrastiveRecord, 'kind' | 'init' | 'initCheckpoint'>>;

/** The training options a fine-tuning run changes from its language model's (the objective's defaults are config.ts's).
 *  Snapshots before and after fine-tuning, so `motif map --over-training` shows what the stage changed. */
const FINE_TUNING = {
  lr: 1e-4,
  batchSize: 32,
  epochs: 20,
  pctStart: 0.1,
  weightDecay: 0.01,
  snapshotEpochs: [0, 'last'],
  evalInterval: 0,
  steps: 0,
  // A compute choice, not the language model's: its run may have been made on a machine without bf16.
  precision: 'auto',
  // The views are augmented only when asked (--stretch, --velocity-offset, --transpose): a language model's
  // transposition would teach the embedding to ignore key, a label users care about.
  augmentTranspose: 0,
  augmentStretch: 0,
  augmentVelocity: 0,
} as const;

/** The parts of a new contrastive run's config: model, training options and objective, from the init model and the flags. */
export function contrastiveRunConfig(
  init: string,
  out: string,
  flags: ContrastiveFlags,
  train: Readonly<Record<string, unknown>> = {},
  model: Partial<ModelConfig> = {},
): { model: ModelConfig; options: TrainOptions; objective: ContrastiveRecord; initConfig: RunConfig } {
  const initConfig = readRunConfig(init);
  const checkpoint = resolveCheckpoint(init, 'best');
  const m = modelConfig({ ...initConfig.model, ...model }, 'model config');
  const options = resolveTrainOptions(initConfig.train, FINE_TUNING, train);
  if (options.seqLen > m.maxLen)
    throw new Error(`seqLen ${options.seqLen} exceeds the model's maxLen ${m.maxLen}; lower --seq`);
  const objective: ContrastiveRecord = {
    kind: 'contrastive',
    init: relative(resolve(out), resolve(init)),
    initCheckpoint: relative(resolve(out), resolve(checkpoint)),
    ...CONTRASTIVE_DEFAULTS,
    ...defined(flags),
  };
  if (!(objective.minTokens >= 2 && objective.minTokens <= options.seqLen))
    throw new Error(`the shortest slice (${objective.minTokens} tokens) must be 2..seqLen (${options.seqLen})`);
  if (!(objective.temperature > 0)) throw new Error(`the temperature must be positive, got ${objective.temperature}`);
  const composerWeight = objective.composerWeight ?? 0;
  if (!(composerWeight >= 0 && composerWeight <= 1))
    throw new Error(`the composer weight must be in [0, 1], got ${composerWeight}`);
  return { model: m, options, objective, initConfig };
}

/** What the trainer needs for the contrastive run in `runDir`, its transformer computing in `precision`. */
export function contrastiveTraining(
  runDir: string,
  config: RunConfig & { objective: ContrastiveRecord },
  corpus: Corpus,
  options: TrainOptions,
  precision: Precision,
  trainInDraw?: SliceSettings['trainInDraw'],
): { objective: Objective<ContrastiveModel>; models: ModelSource<ContrastiveModel> } {
  const o = config.objective;
  const pieces = (split: string) =>
    corpus.split(split).map((p) => ({ ids: p.ids, work: p.piece.piece ?? p.piece.id, composer: p.piece.composer }));
  const objective = contrastiveObjective(pieces('train'), pieces('validation'), corpus.framing, {
    pairs: options.batchSize,
    minTokens: o.minTokens,
    maxTokens: options.seqLen,
    seed: options.seed,
    validationBatches: o.validationBatches,
    sampling: { positives: o.positives ?? 'performance', worksPerComposer: o.worksPerComposer ?? 0 },
    trainInDraw,
  });
  const create = (): ContrastiveModel => {
    // The language model's weights with a fresh optimizer (its AdamW state belongs to another objective).
    const lm = Transformer.load(join(resolve(runDir, o.initCheckpoint), MODEL_FILE));
    const model = Transformer.create(modelConfig(config.model), options.seed, optimizerConfig(options));
    model.precision = precision;
    const weights = lm.parameters();
    for (const [name, w] of model.parameters()) w.set(weights.get(name)!);
    const rng = new Rng(options.seed ^ 0x4ead);
    return new ContrastiveModel(
      model,
      EmbeddingHead.create(model.config.dModel, o.embedDim, () => rng.nextFloat()),
      { temperature: o.temperature, clipNorm: options.clipNorm, composerWeight: o.composerWeight ?? 0 },
    );
  };
  return { objective, models: { create, load: (dir) => ContrastiveModel.load(dir, precision) } };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
