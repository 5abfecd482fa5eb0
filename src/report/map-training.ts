// Embeddings of one dataset under several snapshots of a run, for maps over training: the files are read,
// labelled and tokenized once (src/embed/prepare.ts, all cores), then embedded by each snapshot's model
// exactly as `motif embed` would (run-model.ts window and batch). Bad files are returned by name and
// skipped. Loads the native core. Not a store writer: the vectors stay in memory.
import type { DatasetItem } from '../data/dataset.js';
import { rowMetadata } from '../embed/embed-dataset.js';
import { embedSequences, frame, windowPlan } from '../embed/extract.js';
import { prepareItems, type PreparedItem } from '../embed/prepare.js';
import { loadRunModel, runExtraction, type RunModel } from '../embed/run-model.js';
import type { LabelledRow } from './map-files.js';
import type { Snapshot } from '../train/checkpoint-choice.js';

/** The pieces that could be read (in dataset order), per snapshot their vectors in that order, and the files that could not. */
export interface SnapshotEmbeddings {
  rows: LabelledRow[];
  sets: Float32Array[][];
  failures: Array<{ id: string; error: string }>;
}

/** Progress of one stage: `tick(n)` after n more units of `total`. */
export type StageProgress = (label: string, total: number) => { tick(n?: number): void; stop(): void };

/** Reads, labels and tokenizes `items` once, then embeds them with each snapshot in turn. */
export async function embedSnapshots(runDir: string, snapshots: readonly Snapshot[], items: readonly DatasetItem[], progress: StageProgress, workers?: number): Promise<SnapshotEmbeddings> {
  // Snapshots of one run share its tokenizer and how it reads MIDI; the first one supplies them.
  let first: RunModel | undefined = loadRunModel(runDir, snapshots[0].dir);
  const { tokenizer, tokenizerJson, sustain, instruments } = first;
  const reading = progress('reading', items.length);
  const prepared = await prepareItems(items, { tokenizerJson, sustain, instruments }, { workers, onItem: () => reading.tick() });
  reading.stop();
  const good = prepared.filter((p): p is Extract<PreparedItem, { ok: true }> => p.ok);
  const failures = prepared.filter((p): p is Extract<PreparedItem, { ok: false }> => !p.ok).map((p) => ({ id: p.item.id, error: p.error }));
  const rows = good.map(({ item, piece }) => ({ ...rowMetadata(item), key: piece.key }));
  const sequences = good.map((p) => frame(p.piece.ids, tokenizer));
  const sets: Float32Array[][] = [];
  for (const snap of snapshots) {
    // One model in memory at a time: paper-sized snapshots are large.
    const run = first ?? loadRunModel(runDir, snap.dir);
    first = undefined;
    const windowTokens = sequences.reduce((n, q) => n + windowPlan(q.length, run.window).reduce((m, w) => m + w.end - w.start, 0), 0);
    const bar = progress(`embedding epoch ${snap.epoch}`, windowTokens);
    sets.push(embedSequences(run.model, sequences, { ...runExtraction(run), onTokens: (n) => bar.tick(n) }));
    bar.stop();
  }
  return { rows, sets, failures };
}
