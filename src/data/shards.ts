// Token shards on disk: raw little-endian id arrays (`<split>-<n>.bin`) plus `index.json` mapping piece → shard, offset, length.
// Each full shard is written to a temp file then renamed, and its index entry appended to `index.journal.jsonl`, so a
// crash keeps finished work; index.json is written whole only at the start and the end (the journal folded in), so a
// run's index writing stays linear in its pieces however many shards it flushes. Readers fold in a journal they find.
// Pieces are stored unframed (no bos/eos: the trainer frames them). Not a loader for training batches; that lives in src/train/.
// The .bin files are plain arrays: np.memmap(path, dtype='<u2' or '<i4') maps them directly.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeAtomic } from '../util/atomic.js';
import type { DatasetLayout } from './dataset.js';
import type { DatasetItem } from './dataset-item.js';
import { recordedInstruments, type InstrumentPolicy } from '../midi/instruments.js';
import type { SustainRule } from '../midi/sustain.js';
import type { PartRecord } from './part.js';

/** On-disk id type: uint16 whenever every id fits (vocabulary ≤ 65,536), else int32. */
export type TokenDtype = 'uint16' | 'int32';

/** Where one piece's ids are and what it is. `offset` and `length` count tokens, not bytes. */
export interface ShardPiece {
  readonly id: string;
  readonly split: string;
  readonly shard: string;
  readonly offset: number;
  readonly length: number;
  readonly notes: number;
  readonly kind: DatasetItem['kind'];
  readonly path: string;
  readonly composer?: string;
  readonly title?: string;
  readonly piece?: string;
  readonly performer?: string;
}

/** A file that could not be tokenized, and why. */
export interface ShardFailure {
  readonly id: string;
  readonly path: string;
  readonly error: string;
}

/** What is fixed for a whole shard set: id type, vocabulary and where the ids came from. */
export interface ShardHeader {
  readonly dtype: TokenDtype;
  readonly vocabSize: number;
  /** The tokenizer.json used (absolute path, and SHA-256 of its bytes so a trainer can check it has the same one). */
  readonly tokenizer: { readonly path: string; readonly sha256: string };
  readonly specialIds?: Readonly<Record<string, number>>;
  /** Pedal rule applied before tokenizing (`none` = notes as played). */
  readonly sustain?: string;
  /** Which notes were read (src/midi/instruments.ts); absent in shards made before there was a choice, which kept every note. */
  readonly instruments?: InstrumentPolicy;
  readonly dataset: { readonly root: string; readonly layout: DatasetLayout };
  /** Set when this folder holds one part of a split job (`motif tokenize --part i/n`); `motif merge` joins the parts. */
  readonly part?: PartRecord;
}

/** Contents of index.json. `complete` is false while a run is in progress or after it crashed. */
export interface ShardIndex extends ShardHeader {
  readonly format: 'motif-shards';
  readonly version: 1;
  readonly complete: boolean;
  readonly shards: ReadonlyArray<{ readonly file: string; readonly split: string; readonly tokens: number }>;
  readonly pieces: readonly ShardPiece[];
  readonly failures: readonly ShardFailure[];
}

/** Split name used for items whose dataset assigns none (plain folders). */
export const NO_SPLIT = 'all';
/** Default shard size in tokens (2 MiB at uint16): few files for a corpus, and little work lost when a run is interrupted. */
export const DEFAULT_SHARD_TOKENS = 1 << 20;

/** The smallest dtype holding ids 0..vocabSize-1. */
export function dtypeFor(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? 'uint16' : 'int32';
}

/** Writes pieces into per-split shards as they arrive; see the file header for the crash guarantees. */
export class ShardWriter {
  private readonly shards: Array<ShardIndex['shards'][number]> = [];
  private readonly pieces: ShardPiece[] = [];
  private readonly failures: ShardFailure[] = [];
  private readonly open = new Map<string, { ids: Uint16Array | Int32Array; used: number; pieces: ShardPiece[] }>();
  private readonly shardCount = new Map<string, number>();

  /** Opens `dir` for writing. With `resume`, finished pieces of an earlier run are kept (it must have used the same tokenizer); otherwise its files are removed. */
  constructor(
    readonly dir: string,
    private readonly header: ShardHeader,
    private readonly options: { shardTokens?: number; resume?: boolean } = {},
  ) {
    ensureDir(dir);
    // Temp files of a run that crashed mid-write are never part of the index: remove them.
    for (const f of readdirSync(dir)) if (/\.(bin|json)\.tmp-\d+$/.test(f)) rmSync(join(dir, f), { force: true });
    const old = readIndexIfAny(dir);
    if (old && options.resume) {
      if (old.tokenizer.sha256 !== header.tokenizer.sha256 || old.dtype !== header.dtype) {
        throw new Error(`${dir}: cannot resume, its shards were made with another tokenizer (${old.tokenizer.path}); choose another folder or run without --resume to replace them`);
      }
      // Pieces read two ways in one shard set would teach a model two readings of the same files.
      if (readingOf(old) !== readingOf(header)) {
        throw new Error(`${dir}: cannot resume, its shards were read with ${readingOf(old)}, this run reads with ${readingOf(header)}; give the same options, choose another folder, or run without --resume to replace them`);
      }
      if (JSON.stringify(old.part ?? null) !== JSON.stringify(header.part ?? null)) {
        throw new Error(
          `${dir}: cannot resume, its shards are ${describePart(old.part)}, this run makes ${describePart(header.part)}; give the same --part or choose another folder`,
        );
      }
      // Loops, not push(...): an index of a large corpus has more pieces than a call takes arguments.
      for (const sh of old.shards) this.shards.push(sh);
      for (const p of old.pieces) this.pieces.push(p);
      for (const s of old.shards) this.shardCount.set(s.split, (this.shardCount.get(s.split) ?? 0) + 1);
    } else if (old) {
      for (const s of old.shards) rmSync(join(dir, s.file), { force: true });
    }
    // The journal so far (a resumed run's) is now in index.json: from here the journal holds this run's shards only.
    // A crash between the two leaves entries in both, which readers count once.
    this.writeIndex(false);
    rmSync(join(dir, JOURNAL_FILE), { force: true });
  }

  /** Ids of pieces already on disk (resumed runs skip them). */
  finishedIds(): Set<string> {
    return new Set(this.pieces.map((p) => p.id));
  }

  /** Appends one piece; writes its split's shard when that shard is full. */
  add(item: DatasetItem, ids: ArrayLike<number>, notes: number): void {
    const split = item.split ?? NO_SPLIT;
    const limit = this.options.shardTokens ?? DEFAULT_SHARD_TOKENS;
    let buf = this.open.get(split);
    if (buf && buf.pieces.length > 0 && buf.used + ids.length > limit) {
      this.flush(split);
      buf = undefined;
    }
    if (!buf) {
      buf = { ids: this.alloc(1 << 16), used: 0, pieces: [] };
      this.open.set(split, buf);
    }
    if (buf.used + ids.length > buf.ids.length) {
      const grown = this.alloc(Math.max(2 * buf.ids.length, buf.used + ids.length));
      grown.set(buf.ids.subarray(0, buf.used));
      buf.ids = grown;
    }
    this.checkRange(item, ids);
    buf.ids.set(ids, buf.used);
    buf.pieces.push({
      id: item.id,
      split,
      shard: this.shardName(split),
      offset: buf.used,
      length: ids.length,
      notes,
      kind: item.kind,
      path: item.path,
      ...pick(item),
    });
    buf.used += ids.length;
  }

  /** Records a file that failed; it appears in index.json `failures`. */
  fail(item: DatasetItem, error: string): void {
    this.failures.push({ id: item.id, path: item.path, error });
  }

  /** Writes every open shard and the final index (complete: true). */
  finish(): ShardIndex {
    for (const split of [...this.open.keys()]) this.flush(split);
    const index = this.writeIndex(true);
    rmSync(join(this.dir, JOURNAL_FILE), { force: true });
    return index;
  }

  private flush(split: string): void {
    const buf = this.open.get(split);
    this.open.delete(split);
    if (!buf || buf.pieces.length === 0) return;
    const file = this.shardName(split);
    const bytes = new Uint8Array(buf.ids.buffer, buf.ids.byteOffset, buf.used * buf.ids.BYTES_PER_ELEMENT);
    writeAtomic(join(this.dir, file), bytes);
    const shard = { file, split, tokens: buf.used };
    // After the shard's rename: a journal line never names a shard that is not whole on disk.
    appendDurably(join(this.dir, JOURNAL_FILE), `${JSON.stringify({ shard, pieces: buf.pieces })}\n`);
    this.shards.push(shard);
    for (const p of buf.pieces) this.pieces.push(p);
    this.shardCount.set(split, (this.shardCount.get(split) ?? 0) + 1);
  }

  private writeIndex(complete: boolean): ShardIndex {
    const index: ShardIndex = {
      format: 'motif-shards',
      version: 1,
      ...this.header,
      complete,
      shards: this.shards,
      pieces: this.pieces,
      failures: this.failures,
    };
    writeShardIndex(this.dir, index);
    return index;
  }

  private shardName(split: string): string {
    return shardFileName(split, this.shardCount.get(split) ?? 0);
  }

  private alloc(n: number): Uint16Array | Int32Array {
    return this.header.dtype === 'uint16' ? new Uint16Array(n) : new Int32Array(n);
  }

  /** Typed-array `set` would silently wrap an out-of-range id; a wrong id on disk must be loud. */
  private checkRange(item: DatasetItem, ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.header.vocabSize)) throw new Error(`${item.id}: token id ${id} outside the vocabulary 0..${this.header.vocabSize - 1}`);
    }
  }
}

/** A shard set opened for reading; shard files are loaded on first use and kept. */
export interface Shards {
  readonly dir: string;
  readonly index: ShardIndex;
  /** Ids of one piece (by id or index entry), a view into its shard. */
  tokens(piece: string | ShardPiece): Uint16Array | Int32Array;
  /** All ids of one shard file. */
  shard(file: string): Uint16Array | Int32Array;
}

/** Opens a shard folder written by {@link ShardWriter}; checks every shard's size against the index. */
export function openShards(dir: string): Shards {
  const index = readIndexIfAny(dir);
  if (!index) throw new Error(`${dir}: no ${INDEX_FILE} (not a motif shard folder)`);
  const byId = new Map(index.pieces.map((p) => [p.id, p]));
  const cache = new Map<string, Uint16Array | Int32Array>();
  const shard = (file: string): Uint16Array | Int32Array => {
    let ids = cache.get(file);
    if (ids) return ids;
    const entry = index.shards.find((s) => s.file === file);
    if (!entry) throw new Error(`${dir}: shard ${file} is not in ${INDEX_FILE}`);
    const bytes = readFileSync(join(dir, file));
    const width = index.dtype === 'uint16' ? 2 : 4;
    if (bytes.byteLength !== entry.tokens * width) {
      throw new Error(`${join(dir, file)}: ${bytes.byteLength} bytes, expected ${entry.tokens * width} (${entry.tokens} ${index.dtype} tokens)`);
    }
    // A fresh copy guarantees the alignment a typed-array view needs (Buffers may sit at odd pool offsets).
    const copy = new Uint8Array(bytes).buffer;
    ids = index.dtype === 'uint16' ? new Uint16Array(copy) : new Int32Array(copy);
    cache.set(file, ids);
    return ids;
  };
  return {
    dir,
    index,
    shard,
    tokens(piece) {
      const p = typeof piece === 'string' ? byId.get(piece) : piece;
      if (!p) throw new Error(`${dir}: no piece ${JSON.stringify(piece)} in ${INDEX_FILE}`);
      const ids = shard(p.shard);
      // subarray clamps bad bounds silently (a negative offset counts from the end): a damaged index would train on other pieces' tokens.
      if (!(Number.isInteger(p.offset) && Number.isInteger(p.length) && p.offset >= 0 && p.length >= 0 && p.offset + p.length <= ids.length)) {
        throw new Error(`${join(dir, INDEX_FILE)}: piece ${p.id} claims tokens [${p.offset}, ${p.offset + p.length}) of ${p.shard}, which holds ${ids.length}; the index is damaged, tokenize again`);
      }
      return ids.subarray(p.offset, p.offset + p.length);
    },
  };
}

/** The file of a split's n-th shard (0-based), e.g. `train-00003.bin`. */
export function shardFileName(split: string, n: number): string {
  return `${split.replace(/[^A-Za-z0-9_-]/g, '_')}-${String(n).padStart(5, '0')}.bin`;
}

/** The index of a shard folder (the one file that says what the .bin files hold). */
export const INDEX_FILE = 'index.json';
/** Shards finished since index.json was last written, one JSON line `{shard, pieces}` each; gone once a run finishes. */
export const JOURNAL_FILE = 'index.journal.jsonl';

/** Writes `index` as `dir`'s index.json, atomically. */
export function writeShardIndex(dir: string, index: ShardIndex): void {
  writeAtomic(join(dir, INDEX_FILE), Buffer.from(JSON.stringify(index, null, 1)));
}

/** The index.json of `dir`, or undefined when it has none; throws when it is unreadable or not a shard index. */
export function readIndexIfAny(dir: string): ShardIndex | undefined {
  const p = join(dir, INDEX_FILE);
  if (!existsSync(p)) return undefined;
  let index: ShardIndex;
  try {
    index = JSON.parse(readFileSync(p, 'utf8')) as ShardIndex;
  } catch (err) {
    throw new Error(`${p}: cannot read (${(err as Error).message})`, { cause: err });
  }
  if (index.format !== 'motif-shards') throw new Error(`${p}: not a motif shard index`);
  return withJournal(dir, index);
}

/** `index` with the shards of `dir`'s journal that it lacks; a torn last line (a crash mid-append) is left out. */
function withJournal(dir: string, index: ShardIndex): ShardIndex {
  const p = join(dir, JOURNAL_FILE);
  if (!existsSync(p)) return index;
  const lines = readFileSync(p, 'utf8').split('\n');
  const known = new Set(index.shards.map((s) => s.file));
  const shards = [...index.shards];
  const pieces = [...index.pieces];
  lines.forEach((line, i) => {
    if (line === '') return;
    let entry: { shard: ShardIndex['shards'][number]; pieces: ShardPiece[] };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch (err) {
      if (i >= lines.length - 2) return; // the last line, cut short by a crash: its shard is redone on resume
      throw new Error(`${p}: line ${i + 1} is damaged (${(err as Error).message}); tokenize again`, { cause: err });
    }
    if (known.has(entry.shard.file)) return;
    known.add(entry.shard.file);
    shards.push(entry.shard);
    for (const piece of entry.pieces) pieces.push(piece);
  });
  // Nothing new: the crash came after the final index was written (which holds every entry) and before the cleanup.
  return shards.length === index.shards.length ? index : { ...index, complete: false, shards, pieces };
}

/** Appends `text` to `path` and waits until it is on disk. */
function appendDurably(path: string, text: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** How MIDI files are read into a model's notes: which notes are the piano's, and the pedal rule. */
export interface MidiReading {
  readonly instruments: InstrumentPolicy;
  readonly sustain: SustainRule | 'none';
}

/**
 * How the shards in `dir` read MIDI, from their index.json: the pedal rule ('musical', motif's default,
 * when absent or unreadable) and the instruments (absent: from before the choice, see recordedInstruments).
 * Without an index at hand (a model away from its shards) the same defaults.
 */
export function shardReading(dir: string): MidiReading {
  let index: { sustain?: string; instruments?: string } = {};
  try {
    index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch {
    // No index at hand: the defaults below.
  }
  return recordedReading(index);
}

/**
 * The reading a record states (a shard index, a store's source): its pedal rule ('musical', motif's default,
 * when absent or unknown) and its instruments (absent: from before the choice, see recordedInstruments).
 */
export function recordedReading(record: { readonly sustain?: unknown; readonly instruments?: unknown }): MidiReading {
  const sustain = record.sustain === 'reference' || record.sustain === 'none' ? record.sustain : 'musical';
  return { sustain, instruments: recordedInstruments(record.instruments) };
}

/** How a shard set's MIDI was read, in the flags that choose it (a header without a pedal rule is from before the choice: 'musical'). */
export function readingOf(header: ShardHeader): string {
  const sustain = header.sustain ?? 'musical';
  return `--instruments ${recordedInstruments(header.instruments)} ${sustain === 'none' ? '--no-sustain' : `--sustain ${sustain}`}`;
}

function describePart(part: PartRecord | undefined): string {
  return part ? `part ${part.index}/${part.count} of ${part.of} items` : 'the whole selection';
}

function pick(item: DatasetItem): Partial<ShardPiece> {
  const out: { -readonly [K in keyof ShardPiece]?: ShardPiece[K] } = {};
  if (item.composer !== undefined) out.composer = item.composer;
  if (item.title !== undefined) out.title = item.title;
  if (item.piece !== undefined) out.piece = item.piece;
  if (item.performer !== undefined) out.performer = item.performer;
  return out;
}
