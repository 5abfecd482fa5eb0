// One file → ids (read MIDI, apply the pedal, tokenize), and the same over a whole list of files on every core.
// Each file's result also says what the reader left out and warned about, for the dataset's summary.
// Results come back in input order whatever the order workers finish in, so shard layouts are reproducible.
// A file that fails is a result carrying its error message, never an exception that stops the list.
import { readFileSync, statSync } from 'node:fs';
import { MidiError } from '../midi/errors.js';
import { NOTHING_DROPPED, type InstrumentPolicy } from '../midi/instruments.js';
import { MAX_MIDI_BYTES, readMidi } from '../midi/read.js';
import { applySustain, type SustainRule } from '../midi/sustain.js';
import type { SchemeName } from '../tokenizer/scheme.js';
import { createScheme } from '../tokenizer/schemes.js';
import { augmentNotes, type Augmentation } from './augment.js';
import type { DatasetItem } from './dataset-item.js';
import { WorkerPool, defaultWorkers, workerScript } from '../util/pool.js';
import type { FileReading } from './reading-report.js';
import { parseTokenizer } from './tokenizer-file.js';

/** How files become ids: BPE ids of a tokenizer.json, or base ids of a scheme. Plain data, so it can be sent to workers. */
export interface EncoderSpec {
  /** Text of a tokenizer.json; when set, ids are its BPE ids and `scheme`/`params` are ignored. */
  readonly tokenizerJson?: string;
  readonly scheme?: SchemeName;
  readonly params?: Readonly<Record<string, number | string | boolean>>;
  /** Which notes and pedal events are read. */
  readonly instruments: InstrumentPolicy;
  /** Pedal rule, or `none` to keep notes as played. */
  readonly sustain: SustainRule | 'none';
}

/** One file encoded: its ids, its note count, and what reading it left out and warned about. */
export interface EncodedFile extends FileReading {
  readonly ids: Int32Array;
  readonly notes: number;
}

/** What one file gave, or why it could not be read. */
export type EncodedItem = ({ readonly item: DatasetItem; readonly ok: true } & EncodedFile) | { readonly item: DatasetItem; readonly ok: false; readonly error: string };

/** One file to encode (`name` is how errors name it), augmented first when `augmentation` is given. */
export interface EncodeTask {
  readonly path: string;
  readonly name: string;
  readonly augmentation?: Augmentation;
}

/** A function encoding one file. Build once per thread: tokenizers are costly to build. */
export function makeFileEncoder(spec: EncoderSpec): (task: EncodeTask) => EncodedFile {
  const encoder = spec.tokenizerJson !== undefined ? parseTokenizer(spec.tokenizerJson, 'tokenizer.json') : createScheme(spec.scheme ?? 'exptime', spec.params ?? {});
  return ({ path, name, augmentation }) => {
    const perf = readMidi(readFileBytes(path, name), name, { instruments: spec.instruments });
    const played = spec.sustain === 'none' ? perf.notes : applySustain(perf, { rule: spec.sustain });
    // After the pedal: a stretch then scales the sounding durations the pedal produced, as a slower performance would.
    const notes = augmentation ? augmentNotes(played, augmentation) : played;
    return { ids: encoder.encode(notes), notes: notes.length, dropped: perf.dropped ?? NOTHING_DROPPED, warnings: perf.warnings ?? [] };
  };
}

/** A file's bytes; a huge file is refused before it is read into memory (the reader would only refuse it after). */
function readFileBytes(path: string, name: string): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
    if (size <= MAX_MIDI_BYTES) return readFileSync(path);
  } catch (err) {
    throw new Error(`${name}: cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  throw new MidiError(name, `file too large (${size} bytes; the limit is ${MAX_MIDI_BYTES / 2 ** 20} MiB)`);
}

/** Options of {@link encodeItems}. */
export interface EncodeOptions {
  /** Worker threads; 0 runs in this thread. Default: one per core, or 0 for fewer than 4 files (startup would dominate). */
  readonly workers?: number;
  /** Called after each file, in input order. */
  readonly onItem?: (done: number, result: EncodedItem) => void;
  /** The augmentation of item i (training on the fly); none by default. */
  readonly augmentation?: (i: number) => Augmentation | undefined;
}

/** Files in flight per worker: enough that none waits for the next while the results are taken in order. */
const ENCODE_AHEAD = 8;

/** Encodes every item, yielding results in input order. */
export async function* encodeItems(items: readonly DatasetItem[], spec: EncoderSpec, options: EncodeOptions = {}): AsyncGenerator<EncodedItem> {
  const workers = Math.min(options.workers ?? (items.length < 4 ? 0 : defaultWorkers()), items.length);
  let done = 0;
  const emit = (r: EncodedItem): EncodedItem => {
    options.onItem?.(++done, r);
    return r;
  };
  const task = (item: DatasetItem, i: number): EncodeTask => ({ path: item.path, name: item.id, augmentation: options.augmentation?.(i) });
  if (workers === 0) {
    const encode = makeFileEncoder(spec);
    for (const [i, item] of items.entries()) {
      try {
        yield emit({ item, ok: true, ...encode(task(item, i)) });
      } catch (err) {
        yield emit({ item, ok: false, error: errorText(item, err) });
      }
    }
    return;
  }
  const pool = new WorkerPool<EncodeTask, EncodedFile>(workerScript(import.meta.url, 'encode-worker'), spec, workers);
  // A window of tasks ahead of the one awaited, not the whole list: a settled promise keeps its result, so queueing
  // every item at once held every file's ids until the end (4.4 GB of base ids for 100× ASAP's train split).
  const ahead: Array<Promise<EncodedFile>> = [];
  let sent = 0;
  const send = (): void => {
    const p = pool.run(task(items[sent], sent++));
    p.catch(() => undefined); // awaited below; this only silences "unhandled" while waiting in line
    ahead.push(p);
  };
  try {
    while (sent < items.length && ahead.length < workers * ENCODE_AHEAD) send();
    for (const item of items) {
      const result = ahead.shift()!;
      if (sent < items.length) send();
      try {
        yield emit({ item, ok: true, ...(await result) });
      } catch (err) {
        yield emit({ item, ok: false, error: errorText(item, err) });
      }
    }
  } finally {
    await pool.close();
  }
}

/** Messages that do not already name the file get its id in front, so every report line says which file. */
function errorText(item: DatasetItem, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(item.id) ? message : `${item.id}: ${message}`;
}
