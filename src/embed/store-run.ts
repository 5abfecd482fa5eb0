// The run behind a store (store.json's source: run, checkpoint, pooling, print of the weights), and a MIDI
// file embedded the way that run made the store's vectors, for queries from outside the store (motif
// similar, the explorer's uploads). Not the store's reading and writing (store.ts).
import { statSync } from 'node:fs';
import type { CheckpointChoice } from '../run/checkpoint-choice.js';
import { loadRunModel, type Pooling, type RunModel } from '../run/run-model.js';
import { embedSequences, frame, runExtraction } from './extract.js';
import { storeLayer, storePooling } from './pooling.js';
import { makePreparer } from './prepare.js';

/** The run, checkpoint and pooling (and layer) to embed a store's queries with. */
export interface StoreRun {
  run: string;
  checkpoint: CheckpointChoice;
  pooling: Pooling;
  layer?: number;
}

/**
 * The run, checkpoint and pooling a store was made with, unless `run` or `checkpoint` names another; the
 * store's own checkpoint applies only to the store's own run. Throws when neither the store nor `run` names a run.
 */
export function storeRun(source: Readonly<Record<string, unknown>>, run?: string, checkpoint?: string): StoreRun {
  const dir = run ?? (typeof source.run === 'string' ? source.run : undefined);
  if (!dir) throw new Error('this store does not record its run; pass --run <dir>');
  const same = run === undefined || (typeof source.run === 'string' && fileId(run) === fileId(source.run));
  return {
    run: dir,
    checkpoint: checkpoint ?? (same && typeof source.checkpoint === 'string' ? source.checkpoint : 'best'),
    pooling: storePooling(source),
    layer: storeLayer(source),
  };
}

/** Same file or folder, by device and inode (paths may differ: relative, symlinked). */
function fileId(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Refuses to combine a store with a model other than the one that made it (its recorded print): a query
 * embedded by other weights lands in another space, and its neighbours would mean nothing. Stores made
 * before the print was recorded are not checked.
 */
export function checkStoreModel(storePath: string, source: Readonly<Record<string, unknown>>, run: RunModel): void {
  if (typeof source.model !== 'string' || source.model === run.fingerprint) return;
  throw new Error(
    `${storePath}: was made by another model (${String(source.run)}, ${String(source.checkpoint)}) than ${run.checkpoint}; its vectors and this model's are not comparable. Use the store's own run, or embed a new store with this one`,
  );
}

/** Loads the model of `which` and checks that it is the one that made the store at `storePath`. */
export function loadStoreModel(
  storePath: string,
  source: Readonly<Record<string, unknown>>,
  which: StoreRun,
): RunModel {
  const run = loadRunModel(which.run, which.checkpoint, which.pooling, 'fp32', which.layer);
  checkStoreModel(storePath, source, run);
  return run;
}

/** Reads, tokenizes and embeds one MIDI file with `run`'s model, as the run read and embedded the store's pieces. */
export function embedMidiFile(run: RunModel, path: string): Float32Array {
  const ids = makePreparer({ tokenizerJson: run.tokenizerJson, sustain: run.sustain, instruments: run.instruments })({
    path,
    name: path,
  }).ids;
  return embedSequences(run.model, [frame(ids, run.tokenizer)], runExtraction(run))[0];
}
