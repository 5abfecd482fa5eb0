// Readers of the two metadata tables motif understands: ASAP's metadata.csv and MAESTRO v3's csv/json.
// CSV goes through csv-parse because MAESTRO titles hold quoted commas; this file only maps columns to items.
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DatasetItem } from './dataset-item.js';

type Row = Record<string, string>;

/** Which table a CSV is, from its header: `asap`, `maestro`, or `unknown`. */
export function sniffMetadataCsv(path: string): 'asap' | 'maestro' | 'unknown' {
  const header = readCsv(path, 1)[0] ?? {};
  if ('midi_performance' in header && 'folder' in header) return 'asap';
  if ('midi_filename' in header) return 'maestro';
  return 'unknown';
}

/** ASAP rows → items: one per performance, plus (with `includeScores`) one per distinct `midi_score`. Paths resolve against `root`. */
export function readAsapMetadata(csvPath: string, root: string, includeScores: boolean): DatasetItem[] {
  const rows = readCsv(csvPath);
  const items: DatasetItem[] = [];
  const scores = new Set<string>();
  rows.forEach((row, i) => {
    const file = row.midi_performance;
    if (!file) throw new Error(`${csvPath}: row ${i + 2} has no midi_performance`);
    const common = { composer: orUndefined(row.composer), title: orUndefined(row.title), piece: row.folder ? asapWork(row.folder) : undefined, split: orUndefined(row.split) };
    items.push({ id: file, path: resolve(root, file), performer: performerCode(file), kind: 'performance', ...common });
    const score = row.midi_score;
    if (includeScores && score && !scores.has(score)) {
      scores.add(score);
      items.push({ id: score, path: resolve(root, score), kind: 'score', ...common });
    }
  });
  return items;
}

/**
 * The work an ASAP folder holds. ASAP gives a performance that takes or skips a repeat a folder of its own
 * (`…_no_repeat`, `…_no_2_repeat`, `…_repeat`) so that its score and beat annotations match what was played;
 * the music is the same work, so its performances share one piece. Otherwise another performance of the work
 * counts as a different piece: a wrong answer when an excerpt finds it, a neighbour "of another piece" for
 * piece-disjoint k-NN, and a false negative in a contrastive batch (13 of ASAP's folders; 4 of their works
 * span two splits).
 */
export function asapWork(folder: string): string {
  return folder.replace(/_(no_(\d+_)?)?repeat$/, '');
}

/** MAESTRO v3 rows (csv, or the json as columns-of-index-maps or a list of records) → items. */
export function readMaestroMetadata(path: string, root: string): DatasetItem[] {
  const rows = extname(path).toLowerCase() === '.json' ? readMaestroJson(path) : readCsv(path);
  return rows.map((row, i) => {
    const file = row.midi_filename;
    if (!file) throw new Error(`${path}: record ${i} has no midi_filename`);
    const composer = orUndefined(row.canonical_composer);
    const title = orUndefined(row.canonical_title);
    const duration = Number(row.duration);
    return {
      id: file,
      path: resolve(root, file),
      composer,
      title,
      piece: composer && title ? `${composer}: ${title}` : title,
      split: orUndefined(row.split),
      kind: 'performance',
      ...(Number.isFinite(duration) && row.duration !== '' ? { duration } : {}),
    };
  });
}

/** ASAP names performance files `<Performer><take>[M].mid` (M = from MAESTRO); the performer is the leading name. */
function performerCode(file: string): string | undefined {
  const stem = basename(file, extname(file));
  const m = /^(.*?[A-Za-z_])\d+M?$/.exec(stem);
  return m ? m[1] : stem || undefined;
}

function readCsv(path: string, toLine?: number): Row[] {
  try {
    return parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true, trim: true, ...(toLine ? { to_line: toLine + 1 } : {}) }) as Row[];
  } catch (err) {
    throw new Error(`${path}: cannot read CSV (${(err as Error).message})`, { cause: err });
  }
}

/** pandas' `to_json()` writes `{column: {rowIndex: value}}`; a list of row objects is accepted too. */
function readMaestroJson(path: string): Row[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read JSON (${(err as Error).message})`, { cause: err });
  }
  const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  if (Array.isArray(data)) return data.map((r) => Object.fromEntries(Object.entries(r as object).map(([k, v]) => [k, str(v)])));
  if (data && typeof data === 'object') {
    const columns = data as Record<string, Record<string, unknown>>;
    const keys = Object.keys(columns.midi_filename ?? {});
    return keys.map((k) => Object.fromEntries(Object.keys(columns).map((col) => [col, str(columns[col]?.[k])])));
  }
  throw new Error(`${path}: not a MAESTRO metadata JSON (expected columns or a list of records)`);
}

function orUndefined(s: string | undefined): string | undefined {
  return s ? s : undefined;
}
