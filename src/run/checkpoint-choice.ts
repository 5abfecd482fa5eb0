// Which saved model of a run a command means: every verb that reads a trained model (eval, export,
// embed, similar, map) takes the same `--checkpoint` words and resolves them here, so that
// they agree on what "best" is and on what they say when it is missing.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointStore, listSnapshots } from './checkpoints.js';
import { MODEL_FILE, RUN_FILES, snapshotName } from './layout.js';

/** `best`, `last`/`latest`, `epoch-N`, or a folder holding model.safetensors. */
export type CheckpointChoice = 'best' | 'last' | 'latest' | `epoch-${number}` | string;

/**
 * The folder of a checkpoint choice: `best` (lowest validation loss; else the newest checkpoint, else the
 * newest snapshot, else the weights of an exported model folder), `last`/`latest` (newest checkpoint),
 * `epoch-N` (the snapshot of epoch N), or a folder.
 */
export function resolveCheckpoint(runDir: string, choice: CheckpointChoice = 'best'): string {
  const checkpoints = new CheckpointStore(runDir);
  const epoch = /^epoch-(\d+)$/.exec(choice);
  let dir: string | undefined;
  if (choice === 'best')
    dir =
      checkpoints.best()?.path ?? checkpoints.latest() ?? listSnapshots(runDir).at(-1)?.dir ?? exportedWeights(runDir);
  else if (choice === 'last' || choice === 'latest') dir = checkpoints.latest();
  else if (epoch) dir = join(runDir, RUN_FILES.snapshots, snapshotName(Number(epoch[1])));
  else dir = resolve(choice);
  if (!dir || !existsSync(join(dir, MODEL_FILE))) {
    const what = epoch
      ? `snapshot of epoch ${epoch[1]}`
      : choice === 'best' || choice === 'last' || choice === 'latest'
        ? `${choice} checkpoint`
        : `${MODEL_FILE} in ${choice}`;
    throw new Error(`${runDir}: no ${what}`);
  }
  return dir;
}

/**
 * Whether `dir` is an exported model folder (src/train/export.ts: weights at the top, no checkpoints)
 * rather than a training run. An export is read-only to motif: reading it never writes into it.
 */
export function isExportedModel(dir: string): boolean {
  return existsSync(join(dir, MODEL_FILE)) && !existsSync(new CheckpointStore(dir).dir);
}

/** An exported model folder (src/train/export.ts) holds its weights at the top. */
function exportedWeights(runDir: string): string | undefined {
  return existsSync(join(runDir, MODEL_FILE)) ? runDir : undefined;
}
