// Which saved model of a run a command means: every verb that reads a trained model (eval, export,
// embed, similar, map) takes the same `--checkpoint` words and resolves them here, so that
// they agree on what "best" is and on what they say when it is missing.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointStore } from './checkpoint.js';
import { MODEL_FILE } from './native-model.js';
import { RUN_FILES } from './run-dir.js';
import { snapshotName } from './trainer.js';

/** `best`, `last`/`latest`, `epoch-N`, or a folder holding model.safetensors. */
export type CheckpointChoice = 'best' | 'last' | 'latest' | `epoch-${number}` | string;

/**
 * The folder of a checkpoint choice: `best` (lowest validation loss; else the newest checkpoint, else the
 * newest snapshot, else the weights of an exported model folder), `last`/`latest` (newest checkpoint),
 * `epoch-N` (the snapshot of epoch N), or a folder.
 */
export function resolveCheckpoint(runDir: string, choice: CheckpointChoice = 'best'): string {
  // Not `new CheckpointStore` on a folder without checkpoints: its constructor creates the folder.
  const checkpoints = existsSync(join(runDir, 'checkpoints')) ? new CheckpointStore(runDir) : undefined;
  const epoch = /^epoch-(\d+)$/.exec(choice);
  let dir: string | undefined;
  if (choice === 'best') dir = checkpoints?.best()?.path ?? checkpoints?.latest() ?? newestSnapshot(runDir) ?? exportedWeights(runDir);
  else if (choice === 'last' || choice === 'latest') dir = checkpoints?.latest();
  else if (epoch) dir = join(runDir, RUN_FILES.snapshots, snapshotName(Number(epoch[1])));
  else dir = resolve(choice);
  if (!dir || !existsSync(join(dir, MODEL_FILE))) {
    const what = epoch ? `snapshot of epoch ${epoch[1]}` : choice === 'best' || choice === 'last' || choice === 'latest' ? `${choice} checkpoint` : `${MODEL_FILE} in ${choice}`;
    throw new Error(`${runDir}: no ${what}`);
  }
  return dir;
}

function newestSnapshot(runDir: string): string | undefined {
  const dir = join(runDir, RUN_FILES.snapshots);
  const epochs = existsSync(dir) ? readdirSync(dir).map((n) => /^epoch-(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])) : [];
  return epochs.length ? join(dir, snapshotName(Math.max(...epochs))) : undefined;
}

/** An exported model folder (src/train/export.ts) holds its weights at the top. */
function exportedWeights(runDir: string): string | undefined {
  return existsSync(join(runDir, MODEL_FILE)) ? runDir : undefined;
}
