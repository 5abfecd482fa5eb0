// Checkpoints of a run: `checkpoints/step-NNNNNNNN/` directories, each written under a temporary
// name and renamed into place (a rename is atomic), so a crash or kill -9 at any moment leaves every
// complete checkpoint intact and at most a `.tmp-*` directory that the next open removes. `best.json`
// names the checkpoint with the lowest validation loss and is itself replaced atomically.
// Snapshots (`snapshots/epoch-NNNN/`, weights without optimizer, for embeddings over training) are committed
// the same way. What goes into a checkpoint (model, optimizer, trainer state) is the caller's: this file only commits.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json-file.js';
import { BEST_FILE, checkpointName, RUN_FILES, SNAPSHOT_FILE, snapshotName } from './layout.js';

const STEP_DIR = /^step-(\d{8,})$/;

/**
 * Creates the folder `final` atomically: `write` fills a fresh temporary sibling, which is then renamed
 * into place. An existing `final` is kept as it is: runs are deterministic and a folder is only written
 * once all of its step's work is done, so one that exists already holds this content.
 */
export function commitDir(final: string, write: (tmpDir: string) => void): string {
  if (existsSync(final)) return final;
  const tmp = join(dirname(final), `.tmp-${basename(final)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  write(tmp);
  renameSync(tmp, final);
  return final;
}

/**
 * Deletes the folder `path` so that no reader ever sees it half-deleted: it is renamed to a `.tmp-` sibling
 * first (atomic), then removed. A kill -9 during a plain recursive delete left a checkpoint folder without its
 * weights but with trainer.json, which resume then took for complete; now an interrupted delete leaves only a
 * `.tmp-` folder that {@link removeStale} clears.
 */
export function removeDir(path: string): void {
  if (!existsSync(path)) return;
  const doomed = join(dirname(path), `.tmp-drop-${basename(path)}-${process.pid}`);
  rmSync(doomed, { recursive: true, force: true });
  renameSync(path, doomed);
  rmSync(doomed, { recursive: true, force: true });
}

/** Removes what interrupted commits leave in `dir` (temporary folders and files); returns their names. */
export function removeStale(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((n) => n.includes('.tmp-'));
  for (const n of stale) rmSync(join(dir, n), { recursive: true, force: true });
  return stale;
}

/** The checkpoints folder of a run: commit, list, rotate, best. */
export class CheckpointStore {
  /** Folder holding the step directories. */
  readonly dir: string;

  // Opening creates nothing: readers (eval, embed, export) must not leave a folder behind; the first
  // commit creates it (commitDir and writeAtomic make missing parents).
  constructor(runDir: string) {
    this.dir = join(runDir, RUN_FILES.checkpoints);
  }

  /** Removes leftovers of interrupted writes (temporary directories and files). */
  cleanStale(): string[] {
    return removeStale(this.dir);
  }

  /** Steps of the complete checkpoints, ascending. */
  steps(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((n) => STEP_DIR.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Path of the checkpoint at `step`. */
  path(step: number): string {
    return join(this.dir, checkpointName(step));
  }

  /** Path of the newest complete checkpoint, or undefined. */
  latest(): string | undefined {
    const steps = this.steps();
    return steps.length ? this.path(steps[steps.length - 1]) : undefined;
  }

  /**
   * Renames the checkpoint of `step` out of the list (to `step-N.damaged`), kept for inspection: commitDir
   * keeps an existing folder, so a damaged one left in place would be kept again when the run reaches it.
   */
  setAside(step: number): string {
    const to = `${this.path(step)}.damaged`;
    rmSync(to, { recursive: true, force: true });
    renameSync(this.path(step), to);
    return to;
  }

  /** Writes the checkpoint of `step` through {@link commitDir}. */
  commit(step: number, write: (tmpDir: string) => void): string {
    return commitDir(this.path(step), write);
  }

  /** Records `step` as the best checkpoint (by validation loss). */
  setBest(step: number, valLoss: number): void {
    writeAtomic(
      join(this.dir, BEST_FILE),
      Buffer.from(JSON.stringify({ step, checkpoint: checkpointName(step), valLoss }) + '\n'),
    );
  }

  /** The best checkpoint recorded, if it still exists. */
  best(): { step: number; valLoss: number; path: string } | undefined {
    const file = join(this.dir, BEST_FILE);
    if (!existsSync(file)) return undefined;
    const { step, valLoss } = readJsonFile<{ step: number; valLoss: number }>(file);
    const path = this.path(step);
    return existsSync(path) ? { step, valLoss, path } : undefined;
  }

  /** Deletes all but the newest `keep` checkpoints, always sparing the best. */
  rotate(keep: number): void {
    const bestStep = this.best()?.step;
    const steps = this.steps();
    for (const step of steps.slice(0, Math.max(0, steps.length - keep))) {
      if (step !== bestStep) removeDir(this.path(step));
    }
  }
}

/** A snapshot folder of a run and its epoch. */
export interface Snapshot {
  epoch: number;
  dir: string;
}

/** Commits the snapshot of `epoch` (`save` writes the weights into its folder) with its snapshot.json. */
export function commitSnapshot(
  runDir: string,
  record: { epoch: number; step: number; valLoss: number },
  save: (dir: string) => void,
): string {
  return commitDir(join(runDir, RUN_FILES.snapshots, snapshotName(record.epoch)), (dir) => {
    save(dir);
    writeFileSync(join(dir, SNAPSHOT_FILE), JSON.stringify(record) + '\n');
  });
}

/** Removes what interrupted snapshot commits left. */
export function removeStaleSnapshots(runDir: string): string[] {
  return removeStale(join(runDir, RUN_FILES.snapshots));
}

/** The run's snapshots (snapshots/epoch-NNNN), by epoch. */
export function listSnapshots(runDir: string): Snapshot[] {
  const root = join(runDir, RUN_FILES.snapshots);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ name, m: /^epoch-(\d+)$/.exec(name) }))
    .filter((e) => e.m !== null)
    .map((e) => ({ epoch: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => a.epoch - b.epoch);
}
