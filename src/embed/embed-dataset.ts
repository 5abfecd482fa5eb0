// A dataset → an embedding store: prepare every file on all cores (ids, key), embed the pieces with a
// run's model (native, all cores), label form from titles, and commit them to the store a chunk at a time,
// so an interrupted run keeps its finished pieces. Bad files are returned by name and skipped. Not a CLI.
import { formFromTitle } from '../analysis/form.js';
import type { DatasetItem } from '../data/dataset-item.js';
import { embedWindows, frame, windowTokens, runExtraction } from './extract.js';
import { prepareItems, splitPrepared } from './prepare.js';
import type { RunModel } from '../run/run-model.js';
import { StoreWriter, type EmbeddingRow, type EmbeddingStore, type WindowRow } from './store.js';

/** Options of {@link embedDataset}. */
export interface EmbedDatasetOptions {
  /** Store folder to write. */
  readonly out: string;
  readonly overwrite?: boolean;
  /** Continue the unfinished store an interrupted run left (same run, checkpoint and dataset). */
  readonly resume?: boolean;
  /** Share of each window overlapping the previous one (default 0.5). */
  readonly overlap?: number;
  readonly workers?: number;
  /** Keep every window's vector beside the piece's (default true): finds the piece of a passage (similar --excerpt). */
  readonly windows?: boolean;
  /** Pieces embedded and committed to the store at a time (default 32). */
  readonly chunk?: number;
  /** Provenance added to store.json. */
  readonly source?: Record<string, unknown>;
  /** After each file is read and tokenized. */
  readonly onPrepared?: (done: number, total: number) => void;
  /** Once, before embedding: the number of window tokens the model will read. */
  readonly onEmbedStart?: (tokens: number) => void;
  /** After each native batch, with its tokens. */
  readonly onTokens?: (tokens: number) => void;
}

/** What a run wrote, and the files it skipped. */
export interface EmbedDatasetResult {
  readonly store: EmbeddingStore;
  readonly pieces: number;
  /** Pieces kept from the interrupted run that `resume` continued. */
  readonly resumed: number;
  readonly tokens: number;
  readonly failures: ReadonlyArray<{ id: string; error: string }>;
}

/** The metadata columns of a store row for a dataset item. */
export function rowMetadata(
  item: DatasetItem,
): Omit<EmbeddingRow, 'vector' | 'key' | 'keySource' | 'duration' | 'notes' | 'tokens'> {
  return {
    id: item.id,
    composer: item.composer ?? null,
    title: item.title ?? null,
    piece: item.piece ?? null,
    performer: item.performer ?? null,
    file: item.path,
    split: item.split ?? null,
    form: formFromTitle(item.title, item.piece),
  };
}

/** Embeds `items` with `run`'s model into a new store at `options.out`, committing every `chunk` pieces. */
export async function embedDataset(
  run: RunModel,
  items: readonly DatasetItem[],
  options: EmbedDatasetOptions,
): Promise<EmbedDatasetResult> {
  const source = {
    run: run.runDir,
    checkpoint: run.checkpoint,
    step: run.model.step,
    window: run.window,
    overlap: options.overlap ?? 0.5,
    windows: options.windows !== false,
    sustain: run.sustain,
    instruments: run.instruments,
    embedding: run.embedding,
    ...(run.layer !== undefined ? { layer: run.layer } : {}),
    model: run.fingerprint,
    ...options.source,
  };
  const writer = await StoreWriter.open(options.out, { overwrite: options.overwrite, resume: options.resume, source });
  try {
    return await fill(writer, run, items, options);
  } catch (err) {
    writer.abandon(); // committed batches stay for --resume
    throw err;
  }
}

async function fill(
  writer: StoreWriter,
  run: RunModel,
  items: readonly DatasetItem[],
  options: EmbedDatasetOptions,
): Promise<EmbedDatasetResult> {
  const todo = items.filter((item) => !writer.done.has(item.id));
  const prepared = await prepareItems(
    todo,
    { tokenizerJson: run.tokenizerJson, sustain: run.sustain, instruments: run.instruments },
    {
      workers: options.workers,
      onItem: (done) => options.onPrepared?.(done, todo.length),
    },
  );
  const { good, failures } = splitPrepared(prepared);
  if (good.length + writer.done.size === 0)
    throw new Error(
      `none of the ${items.length} files could be read${failures.length ? `; first error: ${failures[0].error}` : ''}`,
    );
  const sequences = good.map((p) => frame(p.piece.ids, run.tokenizer));
  const tokens = windowTokens(sequences, run.window, options.overlap);
  options.onEmbedStart?.(tokens);
  const chunk = Math.max(1, options.chunk ?? 32);
  for (let i = 0; i < good.length; i += chunk) {
    const part = sequences.slice(i, i + chunk);
    const { vectors, windows } = embedWindows(run.model, part, {
      ...runExtraction(run),
      overlap: options.overlap,
      onTokens: options.onTokens,
    });
    const pieces = good.slice(i, i + chunk);
    await writer.add(
      pieces.map(({ item, piece }, j) => ({
        ...rowMetadata(item),
        vector: vectors[j],
        key: piece.key,
        keySource: piece.keySource,
        duration: piece.duration,
        notes: piece.notes,
        tokens: part[j].length,
      })),
      options.windows === false
        ? []
        : pieces.flatMap(({ item }, j): WindowRow[] => {
            const seconds = run.tokenizer.elapsed(part[j]);
            return windows[j].map((w) => ({ id: item.id, ...w, seconds: seconds[w.start] }));
          }),
    );
  }
  return {
    store: await writer.finish(),
    pieces: good.length + writer.done.size,
    resumed: writer.done.size,
    tokens,
    failures,
  };
}
