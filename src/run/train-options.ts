// Options of a training run: the optimizer and schedule settings of src/model/config.ts (TrainConfig,
// from the preset) plus how the run is driven (epochs, seed, intervals, budget, snapshots). Merges
// preset ← JSON config ← command-line flags and validates. The model's shape is not here.
import { checkAugmentRanges, type AugmentRanges } from '../data/augment.js';
import { DEFAULT_TRAIN, trainConfig, type TrainConfig } from '../model/config.js';
import { parsePrecision, type PrecisionChoice } from '../model/precision.js';

/** Epochs at which to save an embeddings-ready snapshot: numbers, or 'last' for the final epoch. */
export type SnapshotEpoch = number | 'last';

/** How a run is driven, beyond the optimizer settings. */
export interface RunOptions {
  /** Passes over the train tokens. */
  epochs: number;
  /** Optimizer steps in all, overriding epochs when > 0 (the schedule spans exactly these steps). */
  steps: number;
  /** Seed of initialisation, window sampling and dropout. */
  seed: number;
  /** Native threads (0: the core's default). */
  threads: number;
  /** Precision of the native engine's matmuls; a new run records auto resolved (fp32 or bf16), so a resume keeps it. */
  precision: PrecisionChoice;
  /** Steps between validation records inside an epoch (0: at epoch ends only). */
  evalInterval: number;
  /** Steps between checkpoints (0: at epoch ends only). */
  checkpointInterval: number;
  /** Checkpoints kept besides the best. */
  keepCheckpoints: number;
  /** Wall-clock budget of this invocation in minutes (0: none); the run checkpoints and stops when it is spent. */
  maxMinutes: number;
  /** Epochs to snapshot for embeddings (0 = before training). */
  snapshotEpochs: SnapshotEpoch[];
  /** On-the-fly augmentation of the train split, redrawn each epoch: largest transposition in semitones (0: off). */
  augmentTranspose: number;
  /** Largest relative tempo stretch (0.1: ±10%; 0: off). */
  augmentStretch: number;
  /** Largest velocity offset (0: off). */
  augmentVelocity: number;
}

/** Every knob of a training run. */
export type TrainOptions = TrainConfig & RunOptions;

/** Defaults of the run options (the optimizer's come from the preset). */
export const DEFAULT_RUN: Readonly<RunOptions> = Object.freeze({
  epochs: 10,
  steps: 0,
  seed: 1,
  threads: 0,
  precision: 'auto' as PrecisionChoice,
  evalInterval: 0,
  checkpointInterval: 0,
  keepCheckpoints: 3,
  maxMinutes: 0,
  snapshotEpochs: [0, 'last'] as SnapshotEpoch[],
  augmentTranspose: 0,
  augmentStretch: 0,
  augmentVelocity: 0,
});

type Check = (v: number) => boolean;
const positiveInt: Check = (v) => Number.isInteger(v) && v > 0;
const naturalInt: Check = (v) => Number.isInteger(v) && v >= 0;
const RULES: Record<
  Exclude<keyof RunOptions, 'snapshotEpochs' | 'precision' | keyof AugmentOptions>,
  [Check, string]
> = {
  epochs: [positiveInt, 'a positive integer'],
  steps: [naturalInt, 'an integer ≥ 0'],
  seed: [(v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, 'an integer in [0, 2^32)'],
  threads: [naturalInt, 'an integer ≥ 0'],
  evalInterval: [naturalInt, 'an integer ≥ 0'],
  checkpointInterval: [naturalInt, 'an integer ≥ 0'],
  keepCheckpoints: [positiveInt, 'a positive integer'],
  maxMinutes: [(v) => Number.isFinite(v) && v >= 0, 'a number ≥ 0'],
};

/** Merges layers of partial options over the defaults (later layers win; undefined values skipped) and validates. */
export function resolveTrainOptions(...layers: Array<object | undefined>): TrainOptions {
  const optim: Record<string, unknown> = {};
  const run: Record<string, unknown> = { ...DEFAULT_RUN };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === undefined) continue;
      if (k in DEFAULT_TRAIN) optim[k] = v;
      else if (k in DEFAULT_RUN) run[k] = v;
      else
        throw new Error(
          `train options: unknown option "${k}" (known: ${[...Object.keys(DEFAULT_TRAIN), ...Object.keys(DEFAULT_RUN)].join(', ')})`,
        );
    }
  }
  for (const [k, [ok, what]] of Object.entries(RULES)) {
    const v = run[k];
    if (typeof v !== 'number' || !ok(v))
      throw new Error(`train options: ${k} must be ${what}, got ${JSON.stringify(v)}`);
  }
  run.snapshotEpochs = parseSnapshotEpochs(run.snapshotEpochs);
  run.precision = parsePrecision(String(run.precision));
  const options = { ...trainConfig(optim, 'train options'), ...(run as unknown as RunOptions) };
  augmentRanges(options); // validates
  return options;
}

type AugmentOptions = Pick<RunOptions, 'augmentTranspose' | 'augmentStretch' | 'augmentVelocity'>;

/** The augmentation the options ask for. Runs recorded before augmentation existed have none. */
export function augmentRanges(o: Partial<AugmentOptions>): AugmentRanges {
  return checkAugmentRanges(
    { transpose: o.augmentTranspose ?? 0, stretch: o.augmentStretch ?? 0, velocity: o.augmentVelocity ?? 0 },
    'train options: augment',
  );
}

/** The optimizer and schedule part of the options (what the model's trainStep needs). */
export function optimizerConfig(o: TrainOptions): TrainConfig {
  return Object.fromEntries(
    Object.keys(DEFAULT_TRAIN).map((k) => [k, o[k as keyof TrainConfig]]),
  ) as unknown as TrainConfig;
}

/** Snapshot epochs from a list or a comma-separated string such as "0,10,30,last". */
export function parseSnapshotEpochs(v: unknown): SnapshotEpoch[] {
  const items =
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v;
  if (!Array.isArray(items))
    throw new Error(`train options: snapshotEpochs must be a list such as [0, 10, "last"], got ${JSON.stringify(v)}`);
  return items.map((e) => {
    if (e === 'last') return 'last';
    const n = typeof e === 'string' ? Number(e) : e;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new Error(`train options: snapshot epoch ${JSON.stringify(e)} is not an integer ≥ 0 or "last"`);
    return n;
  });
}
