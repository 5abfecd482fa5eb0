// Dataset → token shards: encodes every item with a tokenizer.json on all cores and streams the ids into a ShardWriter.
// Bad files are recorded (index.json `failures`) and skipped; everything else is finished. Not a CLI: no printing here.
import { resolve } from 'node:path';
import { DEFAULT_INSTRUMENTS, type InstrumentPolicy } from '../midi/instruments.js';
import type { Dataset } from './dataset.js';
import type { DatasetItem } from './dataset-item.js';
import { encodeItems, type EncodedItem, type EncoderSpec } from './encode.js';
import type { PartRecord } from './part.js';
import { ReadingLog, type ReadingReport } from './reading-report.js';
import { ShardWriter, dtypeFor, type ShardIndex } from './shards.js';
import { readTokenizer, specialIds } from './tokenizer-file.js';

/** Options of {@link tokenizeDataset}. */
export interface TokenizeOptions {
  /** Path of the tokenizer.json (recorded in the index with its SHA-256). */
  readonly tokenizer: string;
  /** Output folder for shards and index.json. */
  readonly out: string;
  /** Items to tokenize (default: all of the dataset). */
  readonly items?: readonly DatasetItem[];
  readonly sustain: EncoderSpec['sustain'];
  /** Which notes are read (default {@link DEFAULT_INSTRUMENTS}); recorded in the index, so models of these shards read files the same way. */
  readonly instruments?: InstrumentPolicy;
  readonly workers?: number;
  readonly shardTokens?: number;
  /** Keep the pieces a previous, unfinished run with the same tokenizer already wrote. */
  readonly resume?: boolean;
  /** Which part of a split job `items` are (recorded in the index for `motif merge`). */
  readonly part?: PartRecord;
  /** Called after each file, in dataset order. */
  readonly onItem?: (done: number, result: EncodedItem) => void;
}

/** What a run did. `skipped` counts pieces kept from an earlier run (`resume`). */
export interface TokenizeResult {
  readonly index: ShardIndex;
  readonly files: number;
  readonly skipped: number;
  readonly tokens: number;
  readonly notes: number;
  /** What reading the files of this run left out and warned about. */
  readonly reading: ReadingReport;
}

/** Tokenizes a dataset into shards under `options.out`; see the file header for what happens to bad files. */
export async function tokenizeDataset(dataset: Dataset, options: TokenizeOptions): Promise<TokenizeResult> {
  const instruments = options.instruments ?? DEFAULT_INSTRUMENTS;
  const file = readTokenizer(options.tokenizer);
  const { tokenizer } = file;
  const writer = new ShardWriter(
    options.out,
    {
      dtype: dtypeFor(tokenizer.vocabSize),
      vocabSize: tokenizer.vocabSize,
      tokenizer: { path: resolve(options.tokenizer), sha256: file.sha256 },
      specialIds: specialIds(tokenizer),
      sustain: options.sustain,
      instruments,
      dataset: { root: dataset.root, layout: dataset.layout },
      ...(options.part ? { part: options.part } : {}),
    },
    { shardTokens: options.shardTokens, resume: options.resume },
  );
  const finished = writer.finishedIds();
  const items = (options.items ?? dataset.items).filter((item) => !finished.has(item.id));
  let tokens = 0;
  let notes = 0;
  const reading = new ReadingLog(instruments);
  for await (const r of encodeItems(items, { tokenizerJson: file.text, sustain: options.sustain, instruments }, { workers: options.workers, onItem: options.onItem })) {
    if (r.ok) {
      writer.add(r.item, r.ids, r.notes);
      reading.add(r.item.id, r);
      tokens += r.ids.length;
      notes += r.notes;
    } else {
      writer.fail(r.item, r.error);
    }
  }
  return { index: writer.finish(), files: items.length, skipped: finished.size, tokens, notes, reading: reading.report() };
}
