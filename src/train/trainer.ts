// The training loop: the objective's batches → one step at the scheduled learning rate, the objective's
// validation, metrics.jsonl records, checkpoints (periodic, per epoch, best by validation loss), embeddings
// snapshots, and an exact resume (sampler state, step, accumulators and optimizer restored). The objective
// is next-token prediction on random windows (language-model.ts's default) or any other (contrastive);
// models are known only through the objective and SavableModel, so this file loads no data or native core.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CheckpointStore, commitSnapshot, removeStaleSnapshots } from '../run/checkpoints.js';
import { languageModelObjective } from './language-model.js';
import type { ModelSource, Objective, SavableModel, TrainableModel, TrainData } from './objective.js';
import { MetricsLog, type MetricsRecord } from '../run/metrics-log.js';
import type { TrainOptions } from '../run/train-options.js';
import { progressReporter, type ProgressMode, type ProgressReporter } from './progress.js';
import { RUN_FILES } from '../run/layout.js';
import {
  emptySums,
  initialTrainerState,
  readTrainerState,
  writeTrainerState,
  type StepSums,
  type TrainerState,
} from '../run/trainer-state.js';

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

/** Trains (or resumes) a run; resolves when it finishes, is interrupted, or spends its time budget. */
export async function train<M extends SavableModel>(t: TrainerOptions<M>): Promise<TrainResult> {
  const started = Date.now();
  if (!t.objective && !t.data) throw new Error('train: give an objective, or the data of next-token training');
  // Without an objective the models are language models (TrainableModel): the default objective trains those.
  const objective = t.objective ?? (languageModelObjective(t.data!, t.options) as unknown as Objective<M>);
  const trainer = new Trainer(t, objective, started);
  await trainer.begin();
  // A run resumed at or past its stop step stops at once, not one step past it (as python/train_torch.py).
  let status: TrainResult['status'] = trainer.atStopStep() ? 'stopped' : 'finished';
  try {
    while (status === 'finished' && !trainer.done()) {
      const checkpointed = await trainer.step();
      await yieldToEventLoop(); // lets a SIGINT handler run between steps
      const stop = trainer.stopReason();
      if (stop) {
        status = stop;
        if (!checkpointed) trainer.checkpoint();
        break;
      }
    }
  } finally {
    trainer.progress.stop();
  }
  return trainer.result(status);
}

/**
 * A run being trained: its model and trainer state, started fresh or resumed from the newest checkpoint,
 * and what it writes into the run directory (records, checkpoints, the best pointer, snapshots).
 */
class Trainer<M extends SavableModel> {
  private readonly totalSteps: number;
  private readonly stepsPerEpoch: number;
  /** Epochs the run spans: its display unit, and which epoch is the 'last' snapshot. */
  private readonly epochs: number;
  readonly progress: ProgressReporter;
  private readonly o: TrainOptions;
  private readonly store: CheckpointStore;
  private readonly metrics: MetricsLog;
  private readonly model: M;
  private readonly state: TrainerState;
  /** Whether the run continues from a checkpoint (false also when resuming found none that loads). */
  private readonly resumed: boolean;
  /** Seconds spent before this process took the run over (elapsed is summed across resumes). */
  private readonly elapsedBefore: number;
  /** The checkpoint holding the newest state written. */
  private lastCheckpoint = '';

  constructor(
    private readonly t: TrainerOptions<M>,
    private readonly objective: Objective<M>,
    private readonly started: number,
  ) {
    this.o = t.options;
    this.stepsPerEpoch = objective.stepsPerEpoch;
    // A step budget (o.steps) sizes the schedule directly: equal-compute comparisons need it; epochs are then
    // its display unit.
    this.totalSteps = this.o.steps > 0 ? this.o.steps : this.o.epochs * this.stepsPerEpoch;
    this.epochs = Math.ceil(this.totalSteps / this.stepsPerEpoch);
    this.store = new CheckpointStore(t.runDir);
    this.metrics = new MetricsLog(join(t.runDir, RUN_FILES.metrics));
    const start = this.startOrResume();
    this.model = start.model;
    this.state = start.state;
    this.resumed = start.resumed;
    this.elapsedBefore = this.state.elapsed;
    this.progress = progressReporter(this.totalSteps, this.state.step, this.epochs, t.progress ?? 'off');
  }

  /**
   * The newest checkpoint's model and state, with the sampler and metrics.jsonl set back to it; or, starting
   * fresh, a new model at step 0 and an empty metrics.jsonl. A run killed before its first checkpoint (step 0)
   * simply starts over.
   */
  private startOrResume(): { model: M; state: TrainerState; resumed: boolean } {
    if (this.t.resume) {
      this.store.cleanStale();
      removeStaleSnapshots(this.t.runDir);
      const latest = loadNewest(this.store, this.t.models, this.t.onWarning);
      if (latest) {
        this.objective.rng = latest.state.rng;
        this.metrics.truncate(latest.state.metricsBytes);
        return { ...latest, resumed: true };
      }
    }
    this.metrics.truncate(0);
    return { model: this.t.models.create(), state: initialTrainerState(this.objective.rng), resumed: false };
  }

  /**
   * A fresh run validates the untrained model (the epoch-0 record, a first best, snapshot and checkpoint);
   * a resumed one mends its best pointer, which a kill right after a checkpoint's commit leaves stale.
   */
  async begin(): Promise<void> {
    if (!this.resumed) {
      const v = await this.objective.validate(this.model);
      this.write({ kind: 'epoch', step: 0, epoch: 0, ...v, elapsed: this.elapsed() });
      this.noteValidation(v.valLoss);
      if (this.wantSnapshot(0)) this.snapshot(0, v.valLoss);
      this.checkpoint();
    } else {
      this.pointBest();
    }
    this.lastCheckpoint = this.store.latest() ?? ''; // step 0's, or the one resumed from
  }

  /** Whether every step of the run is done. */
  done(): boolean {
    return this.state.step >= this.totalSteps;
  }

  /** Whether the run is at (or past) the step it was told to stop at, before its end (--max-steps). */
  atStopStep(): boolean {
    const { stopAtStep } = this.t;
    return stopAtStep !== undefined && stopAtStep <= this.state.step && this.state.step < this.totalSteps;
  }

  /** Why the run stops after the step just done, if it does: Ctrl-C, the time budget, or its stop step. */
  stopReason(): Exclude<TrainResult['status'], 'finished'> | undefined {
    if (this.t.signal?.aborted) return 'interrupted';
    if (this.o.maxMinutes > 0 && Date.now() - this.started >= this.o.maxMinutes * 60_000) return 'time-limit';
    if (this.atStopStep()) return 'stopped';
    return undefined;
  }

  /**
   * One step, the records due after it, and a checkpoint when one is due: at the checkpoint interval, at an
   * epoch's end, at a new best, and at the run's last step. Returns whether it checkpointed.
   */
  async step(): Promise<boolean> {
    const lr = await this.optimizerStep();
    const s = this.state;
    // The last step always validates and checkpoints, also when a step budget ends it mid-epoch.
    const last = s.step === this.totalSteps;
    let save = last || (this.o.checkpointInterval > 0 && s.step % this.o.checkpointInterval === 0);
    let improved = false;
    if (s.stepInEpoch === this.stepsPerEpoch) {
      improved = await this.endEpoch(lr);
      save = true;
    } else if (last || (this.o.evalInterval > 0 && s.step % this.o.evalInterval === 0)) {
      improved = await this.recordSteps(lr);
    }
    if (save || improved) this.checkpoint();
    return save || improved;
  }

  /** Trains one step at the scheduled learning rate and adds it to the sums of the next records; returns the rate. */
  private async optimizerStep(): Promise<number> {
    const s = this.state;
    const lr = this.t.schedule(s.step, this.totalSteps);
    const t0 = performance.now();
    const r = await this.objective.step(this.model, lr, s.epochsDone);
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(r.loss))
      throw new Error(`training diverged: loss ${r.loss} at step ${s.step + 1} (lr ${lr}); try a lower --lr`);
    s.step++;
    s.stepInEpoch++;
    for (const sums of [s.sinceRecord, s.sinceEpoch]) {
      sums.loss += r.loss;
      sums.gradNorm += r.gradNorm;
      sums.steps++;
      sums.tokens += r.tokens;
      sums.seconds += seconds;
    }
    this.progress.step(s.step, {
      epoch: s.epochsDone + s.stepInEpoch / this.stepsPerEpoch,
      loss: r.loss,
      tokensPerSec: r.tokens / seconds,
    });
    return lr;
  }

  /** Closes the epoch just done: validation, its record, a snapshot if asked for; returns whether it is a new best. */
  private async endEpoch(lr: number): Promise<boolean> {
    const s = this.state;
    s.epochsDone++;
    s.stepInEpoch = 0;
    const v = await this.objective.validate(this.model);
    const summary = this.summarize(s.sinceEpoch);
    this.write({ kind: 'epoch', step: s.step, epoch: s.epochsDone, ...summary, ...v, lr, elapsed: this.elapsed() });
    s.sinceEpoch = emptySums();
    s.sinceRecord = emptySums();
    const improved = this.noteValidation(v.valLoss);
    if (this.wantSnapshot(s.epochsDone)) this.snapshot(s.epochsDone, v.valLoss);
    return improved;
  }

  /** A validation inside an epoch and the record of the steps since the last one; returns whether it is a new best. */
  private async recordSteps(lr: number): Promise<boolean> {
    const s = this.state;
    const v = await this.objective.validate(this.model);
    const epoch = s.epochsDone + s.stepInEpoch / this.stepsPerEpoch;
    const summary = this.summarize(s.sinceRecord);
    this.write({ kind: 'step', step: s.step, epoch, ...summary, ...v, lr, elapsed: this.elapsed() });
    s.sinceRecord = emptySums();
    return this.noteValidation(v.valLoss);
  }

  /** A validation result at the current step: records it as best (checkpointed by the caller) when it improves. */
  private noteValidation(valLoss: number): boolean {
    if (!(valLoss < this.state.bestValLoss)) return false;
    this.state.bestValLoss = valLoss;
    this.state.bestStep = this.state.step;
    return true;
  }

  /** The train figures of a record: means over the steps summed since the previous one. */
  private summarize(sums: StepSums): Partial<MetricsRecord> {
    if (sums.steps === 0) return {};
    return {
      trainLoss: sums.loss / sums.steps,
      ...(this.objective.perplexity ? { trainPerplexity: Math.exp(sums.loss / sums.steps) } : {}),
      gradNorm: sums.gradNorm / sums.steps,
      tokensPerSec: sums.tokens / Math.max(sums.seconds, 1e-9),
    };
  }

  /** Appends a record to metrics.jsonl, then tells onRecord and the progress display. */
  private write(r: MetricsRecord): void {
    this.metrics.append(r);
    this.t.onRecord?.(r);
    this.progress.line(recordLine(r, this.epochs));
  }

  /** Commits a checkpoint of the current step (model with optimizer, trainer state); returns its path. */
  checkpoint(): string {
    const s = this.state;
    s.rng = this.objective.rng;
    s.metricsBytes = this.metrics.bytes();
    s.elapsed = this.elapsed();
    const path = this.store.commit(s.step, (dir) => {
      this.model.save(dir, true);
      writeTrainerState(dir, s);
    });
    // Pointer first, rotation after: a kill between the two leaves the best pointed at and kept. A kill
    // between the commit and the pointer is mended on resume (the checkpoint's own state names its best).
    this.pointBest();
    this.store.rotate(this.o.keepCheckpoints);
    this.lastCheckpoint = path;
    return path;
  }

  /** Points best.json at the state's best checkpoint, when it does not already and that checkpoint exists. */
  private pointBest(): void {
    const { bestStep, bestValLoss } = this.state;
    if (bestStep !== undefined && this.store.best()?.step !== bestStep && existsSync(this.store.path(bestStep)))
      this.store.setBest(bestStep, bestValLoss);
  }

  /** Whether the run asks for a snapshot at the end of `epoch` (0: before training). */
  private wantSnapshot(epoch: number): boolean {
    const wanted = this.o.snapshotEpochs;
    return wanted.includes(epoch) || (epoch === this.epochs && wanted.includes('last'));
  }

  /** Weights (no optimizer) at the end of `epoch`, for embeddings over training. */
  private snapshot(epoch: number, valLoss: number): void {
    commitSnapshot(this.t.runDir, { epoch, step: this.state.step, valLoss }, (dir) => this.model.save(dir, false));
  }

  /** Seconds spent on the run, summed across resumes. */
  private elapsed(): number {
    return this.elapsedBefore + (Date.now() - this.started) / 1000;
  }

  /** How the run ended, with `status`. */
  result(status: TrainResult['status']): TrainResult {
    const { step, epochsDone, bestValLoss } = this.state;
    const { totalSteps, lastCheckpoint: checkpoint } = this;
    return { status, step, totalSteps, epochsDone, bestValLoss, checkpoint };
  }
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
      return { state: readTrainerState(dir), model: models.load(dir) };
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
