// Embeddings of one dataset under several snapshots of a run, for maps over training: the files are read,
// labelled and tokenized once (prepare.ts, all cores), then embedded by each snapshot's model exactly as
// `motif embed` would (extract.ts windows, the run's window and batch). Bad files are returned by name and
// skipped. Loads the native core. Not a store writer and not a map: the vectors stay in memory for report/map.ts.
import type { DatasetItem } from '../data/dataset-item.js';
import { rowMetadata } from './embed-dataset.js';
import { embedSequences, frame, runExtraction, windowTokens } from './extract.js';
import { prepareItems, splitPrepared } from './prepare.js';
import { loadRunModel, type RunModel } from '../run/run-model.js';
import type { EmbeddingRow } from './store.js';
import type { Snapshot } from '../run/checkpoints.js';

/** The pieces that could be read (in dataset order), per snapshot their vectors in that order, and the files that could not. */
export interface SnapshotEmbeddings {
  rows: Array<ReturnType<typeof rowMetadata> & Pick<EmbeddingRow, 'key'>>;
  sets: Float32Array[][];
  failures: Array<{ id: string; error: string }>;
}

/** Progress of one stage: `tick(n)` after n more units of `total`. */
export type StageProgress = (label: string, total: number) => { tick(n?: number): void; stop(): void };

/** Reads, labels and tokenizes `items` once, then embeds them with each snapshot in turn. */
export async function embedSnapshots(
  runDir: string,
  snapshots: readonly Snapshot[],
  items: readonly DatasetItem[],
  progress: StageProgress,
  workers?: number,
): Promise<SnapshotEmbeddings> {
  // Snapshots of one run share its tokenizer and how it reads MIDI; the first one supplies them.
  let first: RunModel | undefined = loadRunModel(runDir, snapshots[0].dir);
  const { tokenizer, tokenizerJson, sustain, instruments } = first;
  const reading = progress('reading', items.length);
  const prepared = await prepareItems(
    items,
    { tokenizerJson, sustain, instruments },
    { workers, onItem: () => reading.tick() },
  );
  reading.stop();
  const { good, failures } = splitPrepared(prepared);
  const rows = good.map(({ item, piece }) => ({ ...rowMetadata(item), key: piece.key }));
  const sequences = good.map((p) => frame(p.piece.ids, tokenizer));
  const sets: Float32Array[][] = [];
  for (const snap of snapshots) {
    // One model in memory at a time: paper-sized snapshots are large.
    const run = first ?? loadRunModel(runDir, snap.dir);
    first = undefined;
    const bar = progress(`embedding epoch ${snap.epoch}`, windowTokens(sequences, run.window));
    sets.push(embedSequences(run.model, sequences, { ...runExtraction(run), onTokens: (n) => bar.tick(n) }));
    bar.stop();
  }
  return { rows, sets, failures };
}
