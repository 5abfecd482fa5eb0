// Dataset items → what embedding and evaluation need per piece: token ids, key label, duration, and on
// request the hand-crafted vector and a seeded random excerpt (its ids and hand-crafted vector too).
// Runs on every core through the data layer's worker pool; a bad file is a result naming it, never an
// exception. Not the model: no vectors from the transformer here (extract.ts).
import { readFileSync } from 'node:fs';
import { labelKey } from '../analysis/key.js';
import { handcraftedVector } from '../analysis/handcrafted.js';
import type { DatasetItem } from '../data/dataset-item.js';
import { WorkerPool, defaultWorkers, workerScript } from '../util/pool.js';
import { parseTokenizer } from '../data/tokenizer-file.js';
import type { Notes } from '../midi/notes.js';
import { sliceNotes } from '../analysis/excerpt.js';
import type { InstrumentPolicy } from '../midi/instruments.js';
import { readMidi } from '../midi/read.js';
import { applySustain, type SustainRule } from '../midi/sustain.js';
import { Rng } from '../util/rng.js';

/** How files are prepared; plain data, sent to the workers. */
export interface PrepareSpec {
  readonly tokenizerJson: string;
  readonly instruments: InstrumentPolicy;
  readonly sustain: SustainRule | 'none';
  /** Also compute the hand-crafted baseline vector. */
  readonly handcrafted?: boolean;
  /** Also cut a random excerpt of this many seconds; `seed` with the item id fixes where. With `handcrafted`,
   *  also the hand-crafted vectors of the piece's windows of twice that length (see handcraftedWindows). */
  readonly excerpt?: { readonly seconds: number; readonly seed: number };
}

/** One file's preparation task. */
export interface PrepareTask {
  readonly path: string;
  /** How errors name the file (its dataset id). */
  readonly name: string;
  readonly title?: string;
}

/** What one file gave. */
export interface PreparedPiece {
  /** Model ids of the whole piece (not framed). */
  ids: Int32Array;
  notes: number;
  /** Seconds, end of the last MIDI event. */
  duration: number;
  key: string | null;
  keySource: 'title' | 'notes' | null;
  handcrafted?: Float64Array;
  /** Hand-crafted vectors of windows of 2 × the excerpt's seconds starting every excerpt length: any excerpt lies
   *  wholly inside one of them, as in the model's windows (half-overlapping, each twice a 15 s excerpt's tokens or more). */
  handcraftedWindows?: Float64Array[];
  excerpt?: { start: number; ids: Int32Array; notes: number; handcrafted?: Float64Array };
}

/** A prepared item, or why its file could not be used. */
export type PreparedItem =
  | { readonly item: DatasetItem; readonly ok: true; readonly piece: PreparedPiece }
  | { readonly item: DatasetItem; readonly ok: false; readonly error: string };

/** A file that could be read, with what it gave. */
export type PreparedOk = Extract<PreparedItem, { ok: true }>;

/** Prepared items split into those read (in their order) and the files that could not be, by id and error. */
export function splitPrepared(prepared: readonly PreparedItem[]): {
  good: PreparedOk[];
  failures: Array<{ id: string; error: string }>;
} {
  const good = prepared.filter((p): p is PreparedOk => p.ok);
  const failures = prepared
    .filter((p): p is Extract<PreparedItem, { ok: false }> => !p.ok)
    .map((p) => ({ id: p.item.id, error: p.error }));
  return { good, failures };
}

/** 32-bit FNV-1a of a string: an order-independent seed per item, so excerpts do not depend on which files failed. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A `seconds`-long excerpt starting at a uniformly random time between the first onset and `seconds`
 * before the last release (the whole piece when shorter): notes whose onset falls inside, ends clipped
 * to the excerpt, times shifted so the excerpt starts at 0.
 */
export function excerptOf(notes: Notes, seconds: number, rng: Rng): { start: number; notes: Notes } {
  if (notes.length === 0) return { start: 0, notes };
  let last = 0;
  for (let i = 0; i < notes.length; i++) last = Math.max(last, notes.end[i]);
  const first = notes.start[0];
  const start = first + Math.max(0, last - first - seconds) * rng.nextFloat();
  return { start, notes: sliceNotes(notes, start, start + seconds) };
}

/** Windows of `2 · seconds` starting every `seconds` from the first onset to the last one. */
function timeWindows(notes: Notes, seconds: number): Notes[] {
  const out: Notes[] = [];
  const last = notes.start[notes.length - 1];
  for (let from = notes.start[0]; ; from += seconds) {
    out.push(sliceNotes(notes, from, from + 2 * seconds));
    if (from + 2 * seconds > last) return out;
  }
}

/** A function preparing one file (build once per thread: tokenizers are costly to build). */
export function makePreparer(spec: PrepareSpec): (task: PrepareTask) => PreparedPiece {
  const tokenizer = parseTokenizer(spec.tokenizerJson, 'tokenizer.json');
  return ({ path, name, title }) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new Error(`${name}: cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
        cause: err,
      });
    }
    const perf = readMidi(bytes, name, { instruments: spec.instruments });
    const notes = spec.sustain === 'none' ? perf.notes : applySustain(perf, { rule: spec.sustain });
    if (notes.length === 0) throw new Error(`${name}: no notes`);
    const key = labelKey(notes, title);
    const piece: PreparedPiece = {
      ids: tokenizer.encode(notes),
      notes: notes.length,
      duration: perf.duration,
      key: key?.name ?? null,
      keySource: key?.source ?? null,
    };
    if (spec.handcrafted) piece.handcrafted = handcraftedVector(notes);
    if (spec.excerpt) {
      const ex = excerptOf(notes, spec.excerpt.seconds, new Rng(hash32(`${spec.excerpt.seed}:${name}`)));
      piece.excerpt = {
        start: ex.start,
        ids: tokenizer.encode(ex.notes),
        notes: ex.notes.length,
        ...(spec.handcrafted ? { handcrafted: handcraftedVector(ex.notes) } : {}),
      };
      if (spec.handcrafted) piece.handcraftedWindows = timeWindows(notes, spec.excerpt.seconds).map(handcraftedVector);
    }
    return piece;
  };
}

/** Options of {@link prepareItems}. */
export interface PrepareOptions {
  /** Worker threads; 0 runs in this thread (default: one per core, 0 for fewer than 4 files). */
  readonly workers?: number;
  /** Called after each file, in input order. */
  readonly onItem?: (done: number, result: PreparedItem) => void;
}

/** Prepares every item, results in input order. */
export async function prepareItems(
  items: readonly DatasetItem[],
  spec: PrepareSpec,
  options: PrepareOptions = {},
): Promise<PreparedItem[]> {
  const workers = Math.min(options.workers ?? (items.length < 4 ? 0 : defaultWorkers()), items.length);
  const task = (item: DatasetItem): PrepareTask => ({
    path: item.path,
    name: item.id,
    ...(item.title ? { title: item.title } : {}),
  });
  const out: PreparedItem[] = [];
  const settle = (item: DatasetItem, run: () => PreparedPiece | Promise<PreparedPiece>): Promise<void> =>
    Promise.resolve()
      .then(run)
      .then(
        (piece) => void out.push({ item, ok: true, piece }),
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          out.push({ item, ok: false, error: message.startsWith(item.id) ? message : `${item.id}: ${message}` });
        },
      )
      .then(() => options.onItem?.(out.length, out[out.length - 1]));
  if (workers === 0) {
    const prepare = makePreparer(spec);
    for (const item of items) await settle(item, () => prepare(task(item)));
    return out;
  }
  const pool = new WorkerPool<PrepareTask, PreparedPiece>(
    workerScript(import.meta.url, 'prepare-worker'),
    spec,
    workers,
  );
  try {
    const pending = items.map((item) => pool.run(task(item)));
    pending.forEach((p) => p.catch(() => undefined)); // awaited in order below; this only silences "unhandled" meanwhile
    for (let i = 0; i < items.length; i++) await settle(items[i], () => pending[i]);
  } finally {
    await pool.close();
  }
  return out;
}
