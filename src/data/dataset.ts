// Dataset discovery: a folder of MIDI files, an ASAP-style metadata.csv, a MAESTRO v3 folder, or one file.
// Only lists pieces and their metadata; it never reads MIDI (a missing or corrupt file is found later, per file).
// ASAP: the performances listed in metadata.csv are the dataset; MIDI scores are added only with `includeScores`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { DatasetItem } from './dataset-item.js';
import { readAsapMetadata, readMaestroMetadata, sniffMetadataCsv } from './metadata.js';

/** Which layout a dataset was recognised as. */
export type DatasetLayout = 'folder' | 'asap' | 'maestro' | 'file';

/** A listed dataset: its root, layout and pieces (sorted by id). */
export interface Dataset {
  readonly root: string;
  readonly layout: DatasetLayout;
  readonly items: readonly DatasetItem[];
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** ASAP: also list each piece's `midi_score` file (kind `score`). Default false. */
  readonly includeScores?: boolean;
  /** Ignore metadata files and list every MIDI file under the folder. Default false. */
  readonly ignoreMetadata?: boolean;
}

/** MAESTRO v3 metadata file names, CSV preferred (the JSON holds the same table). */
const MAESTRO_FILES = ['maestro-v3.0.0.csv', 'maestro-v3.0.0.json'];

/** True for `.mid` / `.midi` in any letter case. */
export function isMidiPath(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return ext === '.mid' || ext === '.midi';
}

/** Lists a dataset at `path` (folder, metadata.csv, maestro csv/json, or a single MIDI file). Throws with the path on anything unusable. */
export function openDataset(path: string, options: OpenDatasetOptions = {}): Dataset {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${path}: no such file or folder`);
  if (statSync(abs).isFile()) return openFile(path, abs, options);
  if (!options.ignoreMetadata) {
    for (const name of MAESTRO_FILES) {
      const p = join(abs, name);
      if (existsSync(p)) return { root: abs, layout: 'maestro', items: sortById(readMaestroMetadata(p, abs)) };
    }
    const csv = join(abs, 'metadata.csv');
    if (existsSync(csv) && sniffMetadataCsv(csv) === 'asap') {
      return { root: abs, layout: 'asap', items: sortById(readAsapMetadata(csv, abs, options.includeScores ?? false)) };
    }
  }
  const items = walkMidi(abs).map((p) => itemFromPath(abs, p));
  if (items.length === 0) throw new Error(`${path}: no MIDI files (.mid, .midi) found in this folder`);
  return { root: abs, layout: 'folder', items: sortById(items) };
}

/** The items of one split (`undefined` = all items). */
export function selectSplit(dataset: Dataset, split: string | undefined): DatasetItem[] {
  return dataset.items.filter((item) => split === undefined || item.split === split);
}

function openFile(path: string, abs: string, options: OpenDatasetOptions): Dataset {
  const root = dirname(abs);
  if (isMidiPath(abs)) return { root, layout: 'file', items: [itemFromPath(root, abs)] };
  const name = basename(abs).toLowerCase();
  if (name.endsWith('.json') && name.startsWith('maestro')) {
    return { root, layout: 'maestro', items: sortById(readMaestroMetadata(abs, root)) };
  }
  if (name.endsWith('.csv')) {
    const kind = sniffMetadataCsv(abs);
    if (kind === 'asap') return { root, layout: 'asap', items: sortById(readAsapMetadata(abs, root, options.includeScores ?? false)) };
    if (kind === 'maestro') return { root, layout: 'maestro', items: sortById(readMaestroMetadata(abs, root)) };
    throw new Error(`${path}: not a dataset table (expected ASAP columns folder,midi_performance,split or MAESTRO columns midi_filename,split)`);
  }
  throw new Error(`${path}: not a dataset (expected a folder, a metadata .csv/.json, or a .mid/.midi file)`);
}

/** Every MIDI file under `dir`, recursively, skipping hidden entries; sorted for reproducible runs. */
function walkMidi(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) visit(p);
      else if (isMidiPath(entry.name)) out.push(p);
    }
  };
  visit(dir);
  return out.sort();
}

/** The dataset id of a file: its path relative to the root, `/`-separated. */
export function itemId(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

function itemFromPath(root: string, path: string): DatasetItem {
  return { id: itemId(root, path), path, kind: 'performance' };
}

function sortById(items: DatasetItem[]): DatasetItem[] {
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
