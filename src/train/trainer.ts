// The training loop: the objective's batches → one step at the scheduled learning rate, the objective's
// validation, metrics.jsonl records, checkpoints (periodic, per epoch, best by validation loss), embeddings
// snapshots, and an exact resume (sampler state, step, accumulators and optimizer restored). The objective
// is next-token prediction on random windows (language-model.ts's default) or any other (contrastive);
// models are known only through the objective and SavableModel, so this file loads no data or native core.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CheckpointStore, commitSnapshot, removeStaleSnapshots } from '../run/checkpoints.js';
import { languageModelObjective } from './language-model.js';
import type { ModelSource, Objective, SavableModel, TrainableModel, TrainData } from './objective.js';
import { MetricsLog, type MetricsRecord } from '../run/metrics-log.js';
import type { TrainOptions } from '../run/train-options.js';
import { progressReporter, type ProgressMode } from './progress.js';
import type { RngState } from '../util/rng.js';
import { RUN_FILES, TRAINER_STATE_FILE } from '../run/layout.js';
import { readJsonFile } from '../util/json-file.js';

export type { ModelSource, Objective, SavableModel, TrainableModel, TrainData } from './objective.js';

/** Learning rate of step `step` (0-based) of `totalSteps`. */
export type LrSchedule = (step: number, totalSteps: number) => number;

/** Everything a training run needs. The run directory must exist (see src/run/config.ts). */
export interface TrainerOptions<M extends SavableModel = TrainableModel> {
  runDir: string;
  options: TrainOptions;
  /** What the run optimises; given `data` instead, next-token prediction on it (for a TrainableModel). */
  objective?: Objective<M>;
  data?: TrainData;
  models: ModelSource<M>;
  schedule: LrSchedule;
  /** Continue from the newest checkpoint in runDir (or start over when it has none yet). */
  resume?: boolean;
  /** Aborting it (Ctrl-C) makes the run checkpoint after the current step and return. */
  signal?: AbortSignal;
  /** Stop (with a checkpoint) once this many steps are done in total (motif train --max-steps). */
  stopAtStep?: number;
  /** Progress bar / epoch lines on stderr. */
  progress?: ProgressMode;
  /** Called with every metrics record, after it is written. */
  onRecord?: (record: MetricsRecord) => void;
  /** Told what the run did that the user should know of (a damaged checkpoint set aside). */
  onWarning?: (message: string) => void;
}

/** How a run ended. */
export interface TrainResult {
  status: 'finished' | 'interrupted' | 'time-limit' | 'stopped';
  step: number;
  totalSteps: number;
  epochsDone: number;
  bestValLoss: number;
  /** The checkpoint holding the final state. */
  checkpoint: string;
}

/** Running sums between two records. */
interface Acc {
  loss: number;
  gradNorm: number;
  steps: number;
  tokens: number;
  seconds: number;
}

/** Trainer state stored beside the model in each checkpoint (trainer.json). */
export interface TrainerState {
  step: number;
  epochsDone: number;
  stepInEpoch: number;
  rng: RngState;
  sinceRecord: Acc;
  sinceEpoch: Acc;
  bestValLoss: number;
  /** Step of the checkpoint with bestValLoss (absent in checkpoints written before it was recorded). */
  bestStep?: number;
  metricsBytes: number;
  elapsed: number;
}

const emptyAcc = (): Acc => ({ loss: 0, gradNorm: 0, steps: 0, tokens: 0, seconds: 0 });

/** Trains (or resumes) a run; resolves when it finishes, is interrupted, or spends its time budget. */
export async function train<M extends SavableModel>(t: TrainerOptions<M>): Promise<TrainResult> {
  const o = t.options;
  const started = Date.now();
  if (!t.objective && !t.data) throw new Error('train: give an objective, or the data of next-token training');
  // Without an objective the models are language models (TrainableModel): the default objective trains those.
  const objective = t.objective ?? (languageModelObjective(t.data!, o) as unknown as Objective<M>);
  const stepsPerEpoch = objective.stepsPerEpoch;
  // A step budget (o.steps) sizes the schedule directly: equal-compute comparisons need it; epochs are then its display unit.
  const totalSteps = o.steps > 0 ? o.steps : o.epochs * stepsPerEpoch;
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const store = new CheckpointStore(t.runDir);
  const metrics = new MetricsLog(join(t.runDir, RUN_FILES.metrics));
  const wantSnapshot = (epoch: number): boolean =>
    o.snapshotEpochs.includes(epoch) || (epoch === epochs && o.snapshotEpochs.includes('last'));

  let model: M;
  let s: TrainerState;
  let elapsedBase: number;
  if (t.resume) {
    store.cleanStale();
    removeStaleSnapshots(t.runDir);
  }
  // A run killed before its first checkpoint (step 0) simply starts over.
  const latest = t.resume ? loadNewest(store, t.models, t.onWarning) : undefined;
  if (latest) {
    ({ state: s, model } = latest);
    s.bestValLoss ??= Infinity; // JSON has no Infinity: stored as null before any validation
    objective.rng = s.rng;
    metrics.truncate(s.metricsBytes);
    elapsedBase = s.elapsed;
  } else {
    metrics.truncate(0);
    model = t.models.create();
    s = {
      step: 0,
      epochsDone: 0,
      stepInEpoch: 0,
      rng: objective.rng,
      sinceRecord: emptyAcc(),
      sinceEpoch: emptyAcc(),
      bestValLoss: Infinity,
      metricsBytes: 0,
      elapsed: 0,
    };
    elapsedBase = 0;
  }
  const elapsed = (): number => elapsedBase + (Date.now() - started) / 1000;

  const validate = () => objective.validate(model);
  const write = (r: MetricsRecord): void => {
    metrics.append(r);
    t.onRecord?.(r);
    progress.line(recordLine(r, epochs));
  };
  const checkpoint = (): string => {
    s.rng = objective.rng;
    s.metricsBytes = metrics.bytes();
    s.elapsed = elapsed();
    const path = store.commit(s.step, (dir) => {
      model.save(dir, true);
      writeFileSync(join(dir, TRAINER_STATE_FILE), JSON.stringify(s) + '\n');
    });
    // Pointer first, rotation after: a kill between the two leaves the best pointed at and kept. A kill
    // between the commit and the pointer is mended on resume (the checkpoint's own state names its best).
    pointBest();
    store.rotate(o.keepCheckpoints);
    return path;
  };
  const pointBest = (): void => {
    if (s.bestStep !== undefined && store.best()?.step !== s.bestStep && existsSync(store.path(s.bestStep)))
      store.setBest(s.bestStep, s.bestValLoss);
  };
  const snapshot = (epoch: number, valLoss: number): void => {
    commitSnapshot(t.runDir, { epoch, step: s.step, valLoss }, (dir) => model.save(dir, false));
  };
  // A validation result at the current step: records it as best (with a checkpoint) when it improves.
  const noteValidation = (valLoss: number): boolean => {
    if (!(valLoss < s.bestValLoss)) return false;
    s.bestValLoss = valLoss;
    s.bestStep = s.step;
    return true;
  };
  const summarize = (acc: Acc): Partial<MetricsRecord> =>
    acc.steps === 0
      ? {}
      : {
          trainLoss: acc.loss / acc.steps,
          ...(objective.perplexity ? { trainPerplexity: Math.exp(acc.loss / acc.steps) } : {}),
          gradNorm: acc.gradNorm / acc.steps,
          tokensPerSec: acc.tokens / Math.max(acc.seconds, 1e-9),
        };

  const progress = progressReporter(totalSteps, s.step, epochs, t.progress ?? 'off');
  if (!latest) {
    const v = await validate();
    write({ kind: 'epoch', step: 0, epoch: 0, ...v, elapsed: elapsed() });
    noteValidation(v.valLoss);
    if (wantSnapshot(0)) snapshot(0, v.valLoss);
    checkpoint();
  } else {
    pointBest();
  }

  // A run resumed at or past its stop step stops at once, not one step past it (as python/train_torch.py).
  let status: TrainResult['status'] =
    t.stopAtStep !== undefined && t.stopAtStep <= s.step && s.step < totalSteps ? 'stopped' : 'finished';
  let lastCheckpoint = store.latest() ?? '';
  try {
    while (status === 'finished' && s.step < totalSteps) {
      const lr = t.schedule(s.step, totalSteps);
      const t0 = performance.now();
      const r = await objective.step(model, lr, s.epochsDone);
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(r.loss))
        throw new Error(`training diverged: loss ${r.loss} at step ${s.step + 1} (lr ${lr}); try a lower --lr`);
      s.step++;
      s.stepInEpoch++;
      for (const acc of [s.sinceRecord, s.sinceEpoch]) {
        acc.loss += r.loss;
        acc.gradNorm += r.gradNorm;
        acc.steps++;
        acc.tokens += r.tokens;
        acc.seconds += seconds;
      }
      progress.step(s.step, {
        epoch: s.epochsDone + s.stepInEpoch / stepsPerEpoch,
        loss: r.loss,
        tokensPerSec: r.tokens / seconds,
      });

      // The last step always validates and checkpoints, also when a step budget ends it mid-epoch.
      const last = s.step === totalSteps;
      let save = last || (o.checkpointInterval > 0 && s.step % o.checkpointInterval === 0);
      let improved = false;
      if (s.stepInEpoch === stepsPerEpoch) {
        s.epochsDone++;
        s.stepInEpoch = 0;
        const v = await validate();
        write({
          kind: 'epoch',
          step: s.step,
          epoch: s.epochsDone,
          ...summarize(s.sinceEpoch),
          ...v,
          lr,
          elapsed: elapsed(),
        });
        s.sinceEpoch = emptyAcc();
        s.sinceRecord = emptyAcc();
        improved = noteValidation(v.valLoss);
        if (wantSnapshot(s.epochsDone)) snapshot(s.epochsDone, v.valLoss);
        save = true;
      } else if (last || (o.evalInterval > 0 && s.step % o.evalInterval === 0)) {
        const v = await validate();
        write({
          kind: 'step',
          step: s.step,
          epoch: s.epochsDone + s.stepInEpoch / stepsPerEpoch,
          ...summarize(s.sinceRecord),
          ...v,
          lr,
          elapsed: elapsed(),
        });
        s.sinceRecord = emptyAcc();
        improved = noteValidation(v.valLoss);
      }
      if (save || improved) lastCheckpoint = checkpoint();

      await yieldToEventLoop(); // lets a SIGINT handler run between steps
      const stop: TrainResult['status'] | undefined = t.signal?.aborted
        ? 'interrupted'
        : o.maxMinutes > 0 && Date.now() - started >= o.maxMinutes * 60_000
          ? 'time-limit'
          : t.stopAtStep !== undefined && s.step >= t.stopAtStep && s.step < totalSteps
            ? 'stopped'
            : undefined;
      if (stop) {
        status = stop;
        if (!(save || improved)) lastCheckpoint = checkpoint();
        break;
      }
    }
  } finally {
    progress.stop();
  }
  return {
    status,
    step: s.step,
    totalSteps,
    epochsDone: s.epochsDone,
    bestValLoss: s.bestValLoss,
    checkpoint: lastCheckpoint,
  };
}

/**
 * The newest checkpoint that loads. One that does not (a disk error, a hand edit, a copy cut short) is
 * set aside with a warning and the one before is tried: resuming from it repeats the lost steps exactly.
 */
function loadNewest<M extends SavableModel>(
  store: CheckpointStore,
  models: ModelSource<M>,
  warn?: (message: string) => void,
): { state: TrainerState; model: M } | undefined {
  for (const step of store.steps().reverse()) {
    const dir = store.path(step);
    try {
      return { state: readJsonFile<TrainerState>(join(dir, TRAINER_STATE_FILE)), model: models.load(dir) };
    } catch (err) {
      const aside = store.setAside(step);
      warn?.(
        `${dir}: damaged (${(err as Error).message.split('\n')[0]}); moved to ${aside}, resuming from the checkpoint before it`,
      );
    }
  }
  return undefined;
}

/** A record as one line for people. */
function recordLine(r: MetricsRecord, epochs: number): string {
  const f = (label: string, v: number | undefined, digits: number): string =>
    v === undefined ? '' : `  ${label} ${v.toFixed(digits)}`;
  const where = r.kind === 'epoch' ? `epoch ${r.epoch}/${epochs}` : `step ${r.step} (epoch ${r.epoch.toFixed(2)})`;
  return (
    where +
    f('train loss', r.trainLoss, 4) +
    f('val loss', r.valLoss, 4) +
    f('val ppl', r.valPerplexity, 2) +
    f('val top-1', r.valTop1, 3) +
    (r.lr === undefined ? '' : `  lr ${r.lr.toExponential(2)}`) +
    f('tok/s', r.tokensPerSec, 0)
  );
}
