// Training a tokenizer on a dataset: base-encode every file on all cores, then train the BPE on those ids.
// A corpus over the base-token budget trains on a sample of whole files (token-budget-sample.ts), so memory stays
// bounded. The BPE algorithm is src/tokenizer/'s; this only feeds it a corpus and reports bad files. No printing here.
import { DEFAULT_INSTRUMENTS, type InstrumentPolicy } from '../midi/instruments.js';
import type { SchemeName } from '../tokenizer/scheme.js';
import { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { createScheme } from '../tokenizer/schemes.js';
import type { DatasetItem } from './dataset-item.js';
import { encodeItems, type EncodedItem, type EncoderSpec } from './encode.js';
import { ReadingLog, type ReadingReport } from './reading-report.js';
import { DEFAULT_MAX_BASE_TOKENS, TokenBudgetSample } from './token-budget-sample.js';

/** Options of {@link trainTokenizer}. */
export interface TrainTokenizerOptions {
  readonly vocabSize: number;
  readonly scheme: SchemeName;
  readonly params?: Readonly<Record<string, number | string | boolean>>;
  readonly sustain: EncoderSpec['sustain'];
  /** Which notes are read (default {@link DEFAULT_INSTRUMENTS}). */
  readonly instruments?: InstrumentPolicy;
  readonly workers?: number;
  /**
   * The most base tokens BPE learns from (default {@link DEFAULT_MAX_BASE_TOKENS}); a larger corpus trains on a
   * sample of its files (see token-budget-sample.ts). Its memory is about 50 bytes a base token.
   */
  readonly maxBaseTokens?: number;
  /** Called after each file is base-encoded. */
  readonly onItem?: (done: number, result: EncodedItem) => void;
  /** Called as BPE merges are learned. */
  readonly onMerge?: (done: number, total: number) => void;
}

/** A trained tokenizer and what it was trained on. */
export interface TrainTokenizerResult {
  readonly tokenizer: MidiTokenizer;
  readonly files: number;
  readonly notes: number;
  readonly baseTokens: number;
  /** What BPE learned from when the corpus was over the budget: a sample of its files; undefined when it took them all. */
  readonly sample?: { readonly files: number; readonly baseTokens: number; readonly maxBaseTokens: number };
  readonly failures: ReadonlyArray<{ id: string; path: string; error: string }>;
  /** What reading the files left out and warned about. */
  readonly reading: ReadingReport;
  readonly encodeSeconds: number;
  readonly trainSeconds: number;
}

/** Trains a MidiTokenizer on `items`; files that cannot be read are skipped and listed in `failures`. */
export async function trainTokenizer(items: readonly DatasetItem[], options: TrainTokenizerOptions): Promise<TrainTokenizerResult> {
  const base = createScheme(options.scheme, options.params ?? {});
  const t0 = performance.now();
  const sample = new TokenBudgetSample(options.maxBaseTokens ?? DEFAULT_MAX_BASE_TOKENS);
  const failures: Array<{ id: string; path: string; error: string }> = [];
  let notes = 0;
  let baseTokens = 0;
  const spec: EncoderSpec = { scheme: options.scheme, params: base.params, sustain: options.sustain, instruments: options.instruments ?? DEFAULT_INSTRUMENTS };
  const reading = new ReadingLog(spec.instruments);
  for await (const r of encodeItems(items, spec, { workers: options.workers, onItem: options.onItem })) {
    if (r.ok) {
      sample.offer(r.item.id, r.ids);
      reading.add(r.item.id, r);
      notes += r.notes;
      baseTokens += r.ids.length;
    } else failures.push({ id: r.item.id, path: r.item.path, error: r.error });
  }
  if (sample.files === 0) throw new Error(`none of the ${items.length} files could be read, so there is nothing to train on${failures[0] ? ` (first: ${failures[0].error})` : ''}`);
  if (notes === 0) throw new Error(`the ${sample.seenFiles} files read hold no notes${spec.instruments === 'piano' ? ' of a piano (--instruments all reads every instrument)' : ''}, so there is nothing to train on`);
  const t1 = performance.now();
  const tokenizer = MidiTokenizer.trainOnIds(base, sample.pieces(), { vocabSize: options.vocabSize, onProgress: options.onMerge });
  return {
    tokenizer,
    files: items.length,
    notes,
    baseTokens,
    ...(sample.sampled ? { sample: { files: sample.files, baseTokens: sample.tokens, maxBaseTokens: sample.maxTokens } } : {}),
    failures,
    reading: reading.report(),
    encodeSeconds: (t1 - t0) / 1000,
    trainSeconds: (performance.now() - t1) / 1000,
  };
}
