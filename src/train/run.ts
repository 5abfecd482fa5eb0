// Training and evaluating runs end to end, as the CLI calls them: token shards + preset (+ JSON
// config + flags) → run directory → trainer with the native Transformer (or the PyTorch engine) and the
// one-cycle schedule; resume; the loss of a checkpoint on a split, recorded in the run. The report is drawn
// by the layer above (report/run-report.ts, called by the verbs), from what these leave in the run.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadPreset, modelConfig, type ModelConfig, type TrainConfig } from '../model/config.js';
import { native } from '../model/native.js';
import { precisionRecord, resolvePrecision } from '../model/machine-precision.js';
import type { Precision, PrecisionChoice } from '../model/precision.js';
import { oneCycleLr } from '../model/one-cycle.js';
import { writeEvalResult, type EvalResult } from '../run/records.js';
import { CheckpointStore } from '../run/checkpoints.js';
import { isExportedModel, resolveCheckpoint, type CheckpointChoice } from '../run/checkpoint-choice.js';
import { openCorpus, type Corpus } from './corpus.js';
import { bitsPerNote, evaluatePieces } from './perplexity.js';
import type { MetricsRecord } from '../run/metrics-log.js';
import type { ProgressMode } from './progress.js';
import { ngramBaselines, type BaselineLoss } from './ngram-baseline.js';
import { loadTransformer, transformerSource } from './transformer-model.js';
import { augmentRanges, optimizerConfig, resolveTrainOptions, type TrainOptions } from '../run/train-options.js';
import { augmentedEpochs } from './augment-epochs.js';
import { augments } from '../data/augment.js';
import { recordedReading } from '../data/shards.js';
import { lockDir } from '../util/dir-lock.js';
import { createRunDir, readRunConfig, type ContrastiveRecord, type RunConfig } from '../run/config.js';
import { RUN_FILES } from '../run/layout.js';
import { contrastiveRunConfig, contrastiveTraining, type ContrastiveFlags } from './contrastive-run.js';
import { train, type LrSchedule, type TrainResult } from './trainer.js';
import { trainWithTorch, type TorchOptions } from './torch-engine.js';

/** How a new run is set up: later sources override earlier ones (preset ← config file ← flags). */
export interface NewRun {
  /** Token shards folder (motif tokenize); for a contrastive run, by default the init model's shards. */
  data?: string;
  /** Preset name (tiny, small, paper) or JSON file. */
  preset: string;
  /** The run directory to create. */
  out: string;
  /** A JSON file { "model": {...}, "train": {...} } of overrides. */
  configFile?: string;
  /** Model overrides from flags (e.g. dropout). */
  model?: Partial<ModelConfig>;
  /** Training overrides from flags (TrainOptions names). */
  train?: Readonly<Record<string, unknown>>;
  /** A contrastive run: the language model (run or exported folder) it starts from, and its settings; preset and config file do not apply. */
  contrastive?: { init: string; flags: ContrastiveFlags };
}

/** Controls of a running invocation (not stored in the run). */
export interface RunControls {
  progress?: ProgressMode;
  signal?: AbortSignal;
  onRecord?: (r: MetricsRecord) => void;
  onWarning?: (message: string) => void;
  /** Stop with a checkpoint after this many steps in total (tests, benchmarks). */
  stopAtStep?: number;
  /** Time budget of this invocation, overriding the run's. */
  maxMinutes?: number;
  /** Train with PyTorch (python/train_torch.py) instead of the native core; the run directory is the same. */
  torch?: TorchOptions;
}

/** What a training invocation produced. */
export interface RunOutcome {
  runDir: string;
  result: TrainResult;
}

/** The one-cycle schedule of a training config. */
export function oneCycleSchedule(o: TrainConfig): LrSchedule {
  return (step, totalSteps) =>
    oneCycleLr(step, {
      maxLr: o.lr,
      totalSteps,
      pctStart: o.pctStart,
      divFactor: o.divFactor,
      finalDivFactor: o.finalDivFactor,
    });
}

/** Creates a run directory and trains it. */
export async function startRun(n: NewRun, c: RunControls = {}): Promise<RunOutcome> {
  const { corpus, preset, model, options, objective } = n.contrastive
    ? contrastiveSetup(n, n.contrastive)
    : languageModelSetup(n);
  if (options.seqLen > model.maxLen)
    throw new Error(`seqLen ${options.seqLen} exceeds the model's maxLen ${model.maxLen}; lower --seq or raise maxLen`);
  // The native engine's precision, recorded resolved so that a resume (on this machine or another) computes
  // as the run started. The torch engine autocasts by its own flag and records the choice as its script
  // does (python/motif_run.py), so a native resume of its run resolves it then.
  const precision = c.torch ? options.precision : resolvePrecision(options.precision);
  const existed = existsSync(n.out); // createRunDir accepts only an absent or empty folder
  const config = createRunDir(n.out, {
    data: corpus.dir,
    preset,
    model: { ...model },
    train: { ...options, precision },
    tokenizer: corpus.index.tokenizer,
    ...(objective ? { objective } : {}),
    ...(c.torch || precision === 'auto' ? {} : { compute: precisionRecord(precision) }),
  });
  try {
    return await execute(n.out, config, corpus, false, c);
  } catch (err) {
    // A start that failed before its first checkpoint has nothing worth keeping, and its folder would
    // refuse the same command again: remove what this call made (not a folder that holds checkpoints).
    if (new CheckpointStore(n.out).steps().length === 0) {
      if (existed) for (const name of readdirSync(n.out)) rmSync(join(n.out, name), { recursive: true, force: true });
      else rmSync(n.out, { recursive: true, force: true });
    }
    throw err;
  }
}

/** What a new run is made of, before its directory exists. */
interface RunSetup {
  corpus: Corpus;
  preset: string;
  model: ModelConfig;
  options: TrainOptions;
  objective?: ContrastiveRecord;
}

function languageModelSetup(n: NewRun): RunSetup {
  if (!n.data) throw new Error('a new run needs its token shards (--data)');
  const corpus = openCorpus(n.data);
  const preset = loadPreset(n.preset);
  const file = n.configFile ? readConfigFile(n.configFile) : {};
  // The shards' tokenizer fixes the vocabulary and the pad id whatever the preset says.
  const model = modelConfig(
    { ...preset.model, ...file.model, ...n.model, vocabSize: corpus.index.vocabSize, padId: corpus.framing.padId },
    'model config',
  );
  return { corpus, preset: preset.name, model, options: resolveTrainOptions(preset.train, file.train, n.train) };
}

function contrastiveSetup(n: NewRun, spec: NonNullable<NewRun['contrastive']>): RunSetup {
  const { model, options, objective, initConfig } = contrastiveRunConfig(
    spec.init,
    n.out,
    spec.flags,
    n.train,
    n.model,
  );
  // The slices must be tokens of the language model's own vocabulary: its shards by default, or others made with its tokenizer.
  const corpus = openCorpus(n.data || initConfig.data);
  if (corpus.index.tokenizer.sha256 !== initConfig.tokenizer.sha256) {
    throw new Error(
      `${corpus.dir}: these shards were made with another tokenizer than ${spec.init}'s; tokenize the data with its tokenizer.json`,
    );
  }
  return { corpus, preset: 'contrastive', model, options, objective };
}

/** Continues the run in `runDir` from its newest checkpoint. */
export async function resumeRun(runDir: string, c: RunControls = {}): Promise<RunOutcome> {
  // An export carries a run's config but no checkpoints: "resuming" it would train from step 0 inside it.
  if (isExportedModel(runDir)) {
    throw new Error(
      `${runDir}: is an exported model (read-only), not a training run; resume the run it was exported from, or start a new run with --out`,
    );
  }
  const config = readRunConfig(runDir);
  const corpus = openCorpus(config.data);
  if (corpus.index.tokenizer.sha256 !== config.tokenizer.sha256) {
    throw new Error(
      `${config.data}: the shards were re-tokenized with another tokenizer since this run started; the run cannot continue on them`,
    );
  }
  return execute(runDir, config, corpus, true, c);
}

/** Trains `runDir` holding its lock: a second process on the same run is refused, not interleaved. */
async function execute(
  runDir: string,
  config: RunConfig,
  corpus: Corpus,
  resume: boolean,
  c: RunControls,
): Promise<RunOutcome> {
  const overlap = corpus.trainOverlap;
  if (overlap.length > 0)
    c.onWarning?.(
      `${overlap.length} train performance${overlap.length === 1 ? '' : 's'} of works that the validation or test split also holds ` +
        `left out of training, so that held-out works stay unseen (e.g. ${overlap[0]})`,
    );
  if (c.torch) {
    // The Python processes take the run's lock themselves: they are the ones writing it.
    const result = await trainWithTorch({
      ...c.torch,
      runDir,
      maxSteps: c.stopAtStep,
      maxMinutes: c.maxMinutes,
      signal: c.signal,
      showOutput: c.progress !== 'off',
    });
    return { runDir, result };
  }
  const unlock = lockDir(runDir);
  try {
    return await trainLocked(runDir, config, corpus, resume, c);
  } finally {
    unlock();
  }
}

async function trainLocked(
  runDir: string,
  config: RunConfig,
  corpus: Corpus,
  resume: boolean,
  c: RunControls,
): Promise<RunOutcome> {
  const options = { ...config.train, ...(c.maxMinutes !== undefined ? { maxMinutes: c.maxMinutes } : {}) };
  if (options.threads > 0) native.setThreads(options.threads);
  const ids = (split: string): Array<ArrayLike<number>> => corpus.split(split).map((p) => p.ids);
  const ranges = augmentRanges(options);
  const trainInEpoch = augments(ranges)
    ? augmentedEpochs(
        corpus.split('train').map((p) => p.piece),
        {
          tokenizerJson: readFileSync(
            config.tokenizer.copy ? join(runDir, config.tokenizer.copy) : config.tokenizer.path,
            'utf8',
          ),
          ...recordedReading(corpus.index),
        },
        ranges,
        options.seed,
      )
    : undefined;
  const common = {
    runDir,
    options,
    schedule: oneCycleSchedule(options),
    resume,
    signal: c.signal,
    stopAtStep: c.stopAtStep,
    progress: c.progress,
    onRecord: c.onRecord,
    onWarning: c.onWarning,
  };
  const objective = config.objective;
  const precision = runPrecision(config.train.precision);
  const result = objective
    ? await train({
        ...common,
        ...contrastiveTraining(runDir, { ...config, objective }, corpus, options, precision, trainInEpoch),
      })
    : await train({
        ...common,
        data: { train: ids('train'), validation: ids('validation'), framing: corpus.framing, trainInEpoch },
        models: transformerSource(modelConfig(config.model), options.seed, optimizerConfig(options), precision),
      });
  return { runDir, result };
}

/** A recorded run's precision: as recorded (auto only from a hand-written config), fp32 for runs from before bf16. */
function runPrecision(recorded: TrainOptions['precision'] | undefined): Precision {
  return recorded === undefined ? 'fp32' : resolvePrecision(recorded);
}

/** The precision a run's records were computed in: a native run's resolved record, else fp32 (runs from before
 *  bf16, and torch-engine runs, which record the choice unresolved and validate in fp32). */
function recordedPrecision(config: RunConfig): Precision {
  const p = config.train.precision;
  return p === 'fp32' || p === 'bf16' ? p : 'fp32';
}

/** What `motif perplexity` measured, and where it was recorded (null: nowhere, see {@link evaluateRun}). */
export interface EvalOutcome extends EvalResult {
  written: string | null;
  /** Why the n-gram bars are missing, when they are. */
  baselineNote?: string;
}

/**
 * Evaluates a run's checkpoint on a split (`all`: every piece) of its own shards or of `data`.
 * The n-gram bars are fitted on the run's training shards, wherever the pieces evaluated come from
 * (a user's recordings have no train split of their own); without those shards there are no bars,
 * and the outcome says why. eval-<split>.json is written only into a training run evaluated on its
 * own shards (`written` says where; the caller then redraws the report): an exported model is
 * read-only, and other data must not overwrite the run's record of its own.
 */
export async function evaluateRun(
  runDir: string,
  split: string,
  choice: CheckpointChoice = 'best',
  data?: string,
  given?: PrecisionChoice,
): Promise<EvalOutcome> {
  const config = readRunConfig(runDir);
  // By default the run's own precision, so that the figures match the validation losses it logged.
  const precision = given ? resolvePrecision(given) : recordedPrecision(config);
  const shards = data ?? config.data;
  const corpus = openCorpus(shards);
  if (corpus.index.tokenizer.sha256 !== config.tokenizer.sha256) {
    throw new Error(
      `${shards}: these shards were made with another tokenizer than the model's (${runDir}); tokenize the data with ${join(runDir, RUN_FILES.tokenizer)}`,
    );
  }
  const dir = resolveCheckpoint(runDir, choice);
  const model = loadTransformer(dir, precision);
  const pieces = corpus.split(split);
  const loss = await evaluatePieces(
    model,
    pieces.map((p) => p.ids),
    corpus.framing,
    config.train.seqLen,
    config.train.batchSize,
  );
  const notes = pieces.reduce((n, p) => n + p.piece.notes, 0);
  const training = trainingPieces(config, corpus, shards);
  const counts =
    'pieces' in training
      ? ngramBaselines(
          training.pieces,
          pieces.map((p) => p.ids),
          corpus.framing,
          corpus.index.vocabSize,
        )
      : undefined;
  const baseline = (b: BaselineLoss) => ({
    loss: b.loss,
    perplexity: Math.exp(b.loss),
    bitsPerNote: bitsPerNote(b.lossSum, notes),
  });
  const result: EvalResult = {
    split,
    checkpoint: dir,
    step: model.transformer.trainedSteps,
    loss: loss.loss,
    perplexity: loss.perplexity,
    bitsPerNote: bitsPerNote(loss.lossSum, notes),
    targets: loss.targets,
    notes,
    pieces: pieces.length,
    ...(counts ? { baselines: { unigram: baseline(counts.unigram), bigram: baseline(counts.bigram) } } : {}),
    compute: precisionRecord(precision),
  };
  const own = resolve(shards) === resolve(config.data);
  let written: string | null = null;
  if (own && !isExportedModel(runDir)) {
    written = writeEvalResult(runDir, result);
  }
  return { ...result, written, ...('note' in training ? { baselineNote: training.note } : {}) };
}

/** The train split the run was trained on, for the n-gram bars, or why it is not at hand. */
function trainingPieces(
  config: RunConfig,
  evaluated: Corpus,
  shards: string,
): { pieces: Array<ArrayLike<number>> } | { note: string } {
  let corpus = evaluated;
  if (resolve(shards) !== resolve(config.data)) {
    try {
      corpus = openCorpus(config.data);
    } catch {
      return {
        note: `the run's training shards (${config.data}) are not at hand, so there are no n-gram bars to compare with`,
      };
    }
    if (corpus.index.tokenizer.sha256 !== config.tokenizer.sha256)
      return { note: `${config.data} no longer holds the shards the run trained on: no n-gram bars` };
  }
  return { pieces: corpus.split('train').map((p) => p.ids) };
}

function readConfigFile(path: string): { model?: Record<string, unknown>; train?: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read the config (${(err as Error).message})`, { cause: err });
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    Object.keys(raw).some((k) => k !== 'model' && k !== 'train' && k !== '_comments')
  ) {
    throw new Error(`${path}: a run config is an object with "model" and/or "train" sections`);
  }
  return raw as { model?: Record<string, unknown>; train?: Record<string, unknown> };
}
