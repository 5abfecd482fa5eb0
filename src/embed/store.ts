// The embedding store: a folder holding a LanceDB table (one row per piece: vector + metadata), a second one
// with the vector of every window of every piece (where a passage is found), and store.json (which run,
// checkpoint and dataset made it). Not the extraction (extract.ts) nor the labels.
// Why LanceDB: one embedded store keeps vectors and metadata together on disk (columnar Lance files, so
// it scales past memory), filters by SQL while searching, and ships prebuilt in its npm package (no build,
// no run-time download). bench/store.mjs, 100k random unit 256-d vectors, 2-core Zen 5 (shared, loaded):
// exact scan 124 ms/query (build 3.7 s); IVF-HNSW-SQ index 15 ms/query, recall@10 0.99 (build 25-33 s);
// usearch HNSW beside a table: 2.6 ms/query but recall@10 0.32 on such data, 141 s to build, graph in memory.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { ensureDir, writeAtomic } from '../util/atomic.js';
import { lockDir } from '../util/dir-lock.js';
import { readJsonFile } from '../util/json-file.js';

/** One piece in the store. Text fields are null where the source does not say. */
export interface EmbeddingRow {
  /** The dataset id (file path relative to the dataset root). */
  id: string;
  vector: Float32Array;
  composer: string | null;
  title: string | null;
  /** The musical work, shared by all its performances. */
  piece: string | null;
  performer: string | null;
  /** Path of the MIDI file when embedded (stored relative to the store folder, read back resolved). */
  file: string;
  split: string | null;
  /** Key name, e.g. "C# minor". */
  key: string | null;
  /** 'title' when the title states the key, 'notes' when estimated (Krumhansl–Kessler). */
  keySource: string | null;
  form: string;
  /** Seconds, end of the last MIDI event. */
  duration: number;
  notes: number;
  /** Tokens of the framed piece (bos + ids + eos). */
  tokens: number;
}

/** One window of a stored piece: its own vector, and where it lies in the piece. */
export interface WindowRow {
  /** The piece's id (EmbeddingRow.id). */
  id: string;
  /** Token positions [start, end) of the framed piece (bos at 0). */
  start: number;
  end: number;
  /** Seconds into the performance where the window starts (the last event before it). */
  seconds: number;
  vector: Float32Array;
}

/** A piece found by its best window: the neighbour, with the window that matched. */
export interface WindowNeighbour extends Neighbour {
  window: Omit<WindowRow, 'vector' | 'id'>;
}

/** What made the store (store.json). */
export interface StoreInfo {
  format: 'motif-embeddings';
  version: 1;
  created: string;
  dim: number;
  count: number;
  /** Rows of the windows table (0 or absent: the store keeps no window vectors; stores before them had none). */
  windows?: number;
  /** Whether nearest() goes through an ANN index or scans exactly. */
  index: 'exact' | 'ivf_hnsw_sq';
  /** IVF partitions of the index (0 without one). */
  partitions: number;
  /** Free-form provenance: run, checkpoint, dataset, window... (the paths stored relative to the store folder, read back resolved). */
  source: Record<string, unknown>;
}

/** A neighbour found by nearest(): cosine distance = 1 − cosine similarity. */
export interface Neighbour {
  row: EmbeddingRow;
  distance: number;
}

/** Equality filter on metadata columns for nearest(). */
export type StoreFilter = Partial<Record<'composer' | 'piece' | 'performer' | 'split' | 'key' | 'form', string>>;

const TABLE = 'embeddings';
const WINDOWS = 'windows';
const INFO = 'store.json';
/** Below this many rows an exact scan is fast enough (≈ 0.1 s per query at 100k) and an index only costs build time and recall. */
export const INDEX_MIN_ROWS = 100_000;

function windowSchema(dim: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('start', new Int32(), false),
    new Field('end', new Int32(), false),
    new Field('seconds', new Float64(), false),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
  ]);
}

function schema(dim: number): Schema {
  const text = (name: string, nullable = true) => new Field(name, new Utf8(), nullable);
  return new Schema([
    text('id', false),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
    text('composer'),
    text('title'),
    text('piece'),
    text('performer'),
    text('file', false),
    text('split'),
    text('key'),
    text('keySource'),
    text('form', false),
    new Field('duration', new Float64(), false),
    new Field('notes', new Int32(), false),
    new Field('tokens', new Int32(), false),
  ]);
}

/** An open store. */
export class EmbeddingStore {
  private constructor(
    /** Folder of the store. */
    readonly path: string,
    /** Contents of store.json. */
    readonly info: StoreInfo,
    private readonly table: lancedb.Table,
    private readonly windowTable: lancedb.Table | undefined,
  ) {}

  /** Every row by id, read on the first search by window. */
  private rowsById: Promise<Map<string, EmbeddingRow>> | undefined;

  /** Opens the store in `path` (made by createStore). */
  static async open(path: string): Promise<EmbeddingStore> {
    const infoPath = join(path, INFO);
    if (!existsSync(infoPath))
      throw new Error(`${path}: not an embedding store (no ${INFO}); make one with motif embed`);
    const info = readJsonFile<StoreInfo>(infoPath);
    if (info.format !== 'motif-embeddings') throw new Error(`${infoPath}: not a motif embedding store`);
    const resolved = { ...info, source: mapPaths(info.source, (p) => resolve(path, p)) };
    return damagedAs(path, async () => {
      const db = await lancedb.connect(path);
      const windows = info.windows ? await db.openTable(WINDOWS) : undefined;
      return new EmbeddingStore(path, resolved, await db.openTable(TABLE), windows);
    });
  }

  /** The k rows nearest to `vector` by cosine distance, nearest first, optionally only rows matching `filter`. */
  async nearest(vector: ArrayLike<number>, k: number, filter: StoreFilter = {}): Promise<Neighbour[]> {
    const where = Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([col, v]) => `${col} = ${sqlText(String(v))}`)
      .join(' AND ');
    const rows = await this.search(this.table, vector, k, where);
    return rows.map((r) => ({ row: toRow(r, this.path), distance: r._distance as number }));
  }

  /**
   * The k pieces whose best window is nearest to `vector` (a passage: an excerpt, a phrase), nearest first,
   * each with that window; optionally only pieces matching `filter`. Needs a store with windows.
   */
  async nearestByWindow(vector: ArrayLike<number>, k: number, filter: StoreFilter = {}): Promise<WindowNeighbour[]> {
    const windows = this.windowTable;
    if (!windows) throw new Error(noWindows(this.path));
    // Read once: a finished store does not change, and reading every row costs more than the search itself.
    this.rowsById ??= this.all().then((rows) => new Map(rows.map((r) => [r.id, r])));
    const pieces = await this.rowsById;
    const allowed = [...pieces.values()].filter((r) =>
      Object.entries(filter).every(([col, v]) => v === undefined || r[col as keyof StoreFilter] === v),
    );
    if (allowed.length === 0) return [];
    const where = allowed.length === pieces.size ? '' : `id IN (${allowed.map((r) => sqlText(r.id)).join(', ')})`;
    // A piece holds many windows and its neighbours crowd together: widen the search until k pieces are in it.
    const total = this.info.windows ?? 0;
    for (let limit = Math.min(total, 16 * k); ; limit = Math.min(total, 4 * limit)) {
      const best = new Map<string, WindowNeighbour>();
      for (const r of await this.search(windows, vector, limit, where)) {
        const id = r.id as string;
        if (!best.has(id))
          best.set(id, {
            row: pieces.get(id)!,
            distance: r._distance as number,
            window: { start: r.start as number, end: r.end as number, seconds: r.seconds as number },
          });
      }
      if (best.size >= Math.min(k, allowed.length) || limit >= total) return [...best.values()].slice(0, k);
    }
  }

  private async search(
    table: lancedb.Table,
    vector: ArrayLike<number>,
    k: number,
    where: string,
  ): Promise<Array<Record<string, unknown>>> {
    if (vector.length !== this.info.dim)
      throw new Error(`${this.path}: query has ${vector.length} dimensions, the store ${this.info.dim}`);
    let q = table.vectorSearch(Array.from(vector)).distanceType('cosine').limit(k);
    // Probing up to 64 partitions, re-ranking 10·k candidates exactly: recall@10 0.99 on isotropic random
    // vectors (bench/store.mjs), the hardest case; clustered embeddings need fewer probes.
    if (table === this.table && this.info.index !== 'exact')
      q = q
        .nprobes(Math.min(this.info.partitions, 64))
        .ef(Math.max(100, 2 * k))
        .refineFactor(10);
    if (where) q = q.where(where);
    return (await damagedAs(this.path, () => q.toArray())) as Array<Record<string, unknown>>;
  }

  /** Every window vector of the pieces `ids` (all pieces when omitted), each piece's windows in order. */
  async windows(ids?: readonly string[]): Promise<WindowRow[]> {
    if (!this.windowTable) return [];
    let q = this.windowTable.query();
    if (ids) q = q.where(`id IN (${ids.map(sqlText).join(', ')})`);
    const rows = (await damagedAs(this.path, () => q.toArray())) as Array<Record<string, unknown>>;
    return rows
      .map((r) => ({
        id: r.id as string,
        start: r.start as number,
        end: r.end as number,
        seconds: r.seconds as number,
        vector: vectorOf(r.vector),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.start - b.start));
  }

  /** The row with this id, if any. */
  async get(id: string): Promise<EmbeddingRow | undefined> {
    const rows = (await damagedAs(this.path, () =>
      this.table
        .query()
        .where(`id = ${sqlText(id)}`)
        .limit(1)
        .toArray(),
    )) as Array<Record<string, unknown>>;
    return rows.length ? toRow(rows[0], this.path) : undefined;
  }

  /** Every row, in insertion order (reads the whole table into memory). */
  async all(): Promise<EmbeddingRow[]> {
    const rows = (await damagedAs(this.path, () => this.table.query().toArray())) as Array<Record<string, unknown>>;
    return rows.map((r) => toRow(r, this.path));
  }

  /** Number of rows. */
  count(): Promise<number> {
    return damagedAs(this.path, () => this.table.countRows());
  }
}

/**
 * Runs a LanceDB read of the store at `path`; its failure becomes a message naming the store and the way
 * out, with the library's own words kept but its build paths (rustc, cargo sources) cut.
 */
async function damagedAs<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const detail = (err as Error).message
      .split('\n')[0]
      .replace(/,?\s*\/\S*(?:rustc|\.cargo|\.rs)\S*/g, '')
      .slice(0, 200);
    throw new Error(
      `${path}: the embedding table is damaged or unreadable (${detail}); make the store again with motif embed --overwrite`,
      { cause: err },
    );
  }
}

/**
 * Paths in a store's records are relative to the store folder, so a store moves with its data and holds no
 * machine path; they are resolved when read (an absolute path, as older stores hold, resolves to itself).
 */
const SOURCE_PATHS = ['run', 'checkpoint', 'dataset'] as const;

function mapPaths(source: Record<string, unknown>, f: (path: string) => string): Record<string, unknown> {
  const out = { ...source };
  for (const key of SOURCE_PATHS) if (typeof out[key] === 'string') out[key] = f(out[key]);
  return out;
}

/** `path` relative to the folder `base` (the store's final folder). */
function relativeTo(base: string, path: string): string {
  return relative(resolve(base), resolve(path)) || '.';
}

/** Why a store without window vectors (`info.windows` 0 or absent) cannot find a passage, and the way out. */
export function noWindows(store: string): string {
  return `${store} keeps no window vectors (made before motif kept them, or with --no-windows), so a passage cannot be found by its window; make it again with motif embed --overwrite`;
}

/** A SQL string literal for a LanceDB filter. */
function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function vectorOf(v: unknown): Float32Array {
  const list = v as { toArray(): Float32Array } | number[];
  return Array.isArray(list) ? Float32Array.from(list) : Float32Array.from(list.toArray());
}

function toRow(r: Record<string, unknown>, base: string): EmbeddingRow {
  return {
    id: r.id as string,
    vector: vectorOf(r.vector),
    composer: (r.composer as string | null) ?? null,
    title: (r.title as string | null) ?? null,
    piece: (r.piece as string | null) ?? null,
    performer: (r.performer as string | null) ?? null,
    file: resolve(base, r.file as string),
    split: (r.split as string | null) ?? null,
    key: (r.key as string | null) ?? null,
    keySource: (r.keySource as string | null) ?? null,
    form: r.form as string,
    duration: r.duration as number,
    notes: r.notes as number,
    tokens: r.tokens as number,
  };
}

/** Options of {@link createStore} and {@link StoreWriter.open}. */
export interface CreateStoreOptions {
  /** Provenance recorded in store.json (and, while unfinished, in the partial folder: resume checks it). */
  source?: Record<string, unknown>;
  /** Replace a store (or an unfinished one) already at `path`. */
  overwrite?: boolean;
  /** Continue the unfinished store of an interrupted run with the same source. */
  resume?: boolean;
  /** Build the ANN index from this many rows on (default INDEX_MIN_ROWS). */
  indexMinRows?: number;
}

/**
 * Writes a store row batch by row batch into `<path>.partial/`, committed by LanceDB at each add, so an
 * interrupted run keeps every finished batch (continue with `resume`). finish() builds the index, writes
 * store.json and renames the folder to `path`, so a half store never sits under the final name.
 */
export class StoreWriter {
  private table: lancedb.Table | undefined;
  private windowTable: lancedb.Table | undefined;
  private dim = 0;
  private rows = 0;
  private windowRows = 0;

  private constructor(
    /** Final folder of the store. */
    readonly path: string,
    private readonly partial: string,
    private readonly db: lancedb.Connection,
    private readonly options: CreateStoreOptions,
    /** Ids already written by an earlier, interrupted run (resume). */
    readonly done: ReadonlySet<string>,
    private readonly unlock: () => void,
  ) {}

  /** Starts (or with `resume`, continues) the store at `path`. */
  static async open(path: string, options: CreateStoreOptions = {}): Promise<StoreWriter> {
    const partial = `${path}.partial`;
    if (existsSync(path) && !options.overwrite)
      throw new Error(`${path}: already exists; choose another --out or pass --overwrite`);
    // --overwrite replaces motif's own stores only: a dataset, a thesis or any other folder at --out is refused before anything is written.
    if (options.overwrite) {
      refuseForeign(path, INFO);
      refuseForeign(partial, SOURCE, INFO); // INFO: killed between finishing and the rename
    }
    // One writer per store: another process still writing the unfinished store refuses this one (before
    // anything is removed); a lock left by a killed writer is taken over.
    if (existsSync(partial)) lockDir(partial)();
    const source = JSON.stringify(mapPaths(options.source ?? {}, (p) => relativeTo(path, p)));
    const sourceFile = join(partial, SOURCE);
    if (existsSync(partial) && !options.overwrite) {
      if (!options.resume)
        throw new Error(
          `${partial}: an unfinished store of an interrupted run; continue it with --resume, or start over with --overwrite`,
        );
      if (existsSync(sourceFile) && readFileSync(sourceFile, 'utf8') !== source) {
        throw new Error(`${partial}: was started from another run, checkpoint or dataset; start over with --overwrite`);
      }
    } else removeOwn(partial, SOURCE, INFO);
    ensureDir(partial);
    const unlock = lockDir(partial);
    writeAtomic(sourceFile, Buffer.from(source));
    const db = await lancedb.connect(partial);
    if (!(await db.tableNames()).includes(TABLE)) return new StoreWriter(path, partial, db, options, new Set(), unlock);
    const table = await db.openTable(TABLE);
    const kept = (await table.query().select(['id', 'vector']).toArray()) as Array<{
      id: string;
      vector: { length: number };
    }>;
    const writer = new StoreWriter(path, partial, db, options, new Set(kept.map((r) => r.id)), unlock);
    writer.table = table;
    writer.rows = kept.length;
    writer.dim = kept[0]?.vector.length ?? 0;
    if ((await db.tableNames()).includes(WINDOWS)) {
      writer.windowTable = await db.openTable(WINDOWS);
      // Windows are added before their pieces: an interrupted add leaves windows of pieces the resume redoes.
      const done = [...writer.done].map(sqlText).join(', ');
      await writer.windowTable.delete(done ? `id NOT IN (${done})` : 'true');
      writer.windowRows = await writer.windowTable.countRows();
    }
    return writer;
  }

  /** Appends pieces (committed when this resolves) and, when given, their windows (before them, see open()). */
  async add(rows: readonly EmbeddingRow[], windows: readonly WindowRow[] = []): Promise<void> {
    if (rows.length === 0) return;
    if (this.dim === 0) this.dim = rows[0].vector.length;
    checkVectors(rows, this.dim);
    checkVectors(windows, this.dim);
    if (windows.length > 0) {
      const data = windows.map((w) => ({ ...w, vector: Array.from(w.vector) }));
      if (this.windowTable) await this.windowTable.add(data);
      else this.windowTable = await this.db.createTable(WINDOWS, data, { schema: windowSchema(this.dim) });
      this.windowRows += windows.length;
    }
    const data = rows.map((r) => ({ ...r, file: relativeTo(this.path, r.file), vector: Array.from(r.vector) }));
    if (this.table) await this.table.add(data);
    else this.table = await this.db.createTable(TABLE, data, { schema: schema(this.dim) });
    this.rows += rows.length;
  }

  /** Stops writing without finishing: what was added stays committed in the unfinished store, for resume. */
  abandon(): void {
    this.table?.close();
    this.windowTable?.close();
    this.db.close();
    this.unlock();
  }

  /** Indexes (when large enough), writes store.json and moves the store into place. */
  async finish(): Promise<EmbeddingStore> {
    if (!this.table || this.rows === 0) throw new Error(`${this.path}: no embeddings to store`);
    const partitions =
      this.rows >= (this.options.indexMinRows ?? INDEX_MIN_ROWS)
        ? Math.max(1, Math.round(Math.sqrt(this.rows) / 8))
        : 0;
    if (partitions > 0)
      await this.table.createIndex('vector', {
        config: lancedb.Index.hnswSq({ distanceType: 'cosine', numPartitions: partitions }),
      });
    this.table.close();
    this.windowTable?.close();
    this.db.close();
    const info: StoreInfo = {
      format: 'motif-embeddings',
      version: 1,
      created: new Date().toISOString(),
      dim: this.dim,
      count: this.rows,
      windows: this.windowRows,
      index: partitions > 0 ? 'ivf_hnsw_sq' : 'exact',
      partitions,
      source: mapPaths(this.options.source ?? {}, (p) => relativeTo(this.path, p)),
    };
    writeAtomic(join(this.partial, INFO), Buffer.from(JSON.stringify(info, null, 2) + '\n'));
    rmSync(join(this.partial, SOURCE));
    removeOwn(this.path, INFO);
    this.unlock(); // the lock file must not move into the finished store
    renameSync(this.partial, this.path);
    return EmbeddingStore.open(this.path);
  }
}

/** Name of the marker inside an unfinished store (what it is being made from). */
const SOURCE = 'source.json';

/**
 * Refuses `path` unless it is absent, an empty folder, or a folder holding motif's `marker` file
 * (store.json of a store, source.json of an unfinished one): motif deletes only what it made.
 */
function refuseForeign(path: string, ...markers: string[]): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory())
    throw new Error(
      `${path}: is a file, not an embedding store; --overwrite replaces only stores motif made, so nothing was deleted`,
    );
  if (readdirSync(path).length > 0 && !markers.some((m) => existsSync(join(path, m)))) {
    throw new Error(
      `${path}: is not an embedding store motif made (no ${markers.join(' or ')} inside); --overwrite replaces only those, so nothing was deleted. Choose another --out`,
    );
  }
}

/** Removes a folder after {@link refuseForeign} has cleared it. */
function removeOwn(path: string, ...markers: string[]): void {
  refuseForeign(path, ...markers);
  rmSync(path, { recursive: true, force: true });
}

function checkVectors(rows: ReadonlyArray<Pick<EmbeddingRow, 'id' | 'vector'>>, dim: number): void {
  const bad = rows.find((r) => r.vector.length !== dim || r.vector.some((x) => !Number.isFinite(x)));
  if (bad)
    throw new Error(
      `${bad.id}: embedding has ${bad.vector.length} dimensions or non-finite values (expected ${dim} finite values)`,
    );
}

/** Writes `rows` as a new store at `path` in one go (see {@link StoreWriter}). */
export async function createStore(
  path: string,
  rows: readonly EmbeddingRow[],
  options: CreateStoreOptions = {},
): Promise<EmbeddingStore> {
  if (rows.length === 0) throw new Error(`${path}: no embeddings to store`);
  checkVectors(rows, rows[0].vector.length);
  const writer = await StoreWriter.open(path, options);
  await writer.add(rows);
  return writer.finish();
}

/** Opens an existing store. */
export function openStore(path: string): Promise<EmbeddingStore> {
  return EmbeddingStore.open(path);
}
