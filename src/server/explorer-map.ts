// The explorer's map: one 2-D point per piece of a store (t-SNE or UMAP of the stored vectors, cosine),
// computed once and cached in the store folder as explorer-map.json, the one file of this format. The cache
// is keyed by what changes the map (the store's creation time and size, method, seed), so a store made
// again gets a new map. A store folder that cannot be written still gets its map, only not cached.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { project, type ProjectOptions } from '../analysis/project.js';
import { writeAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json-file.js';
import type { EmbeddingRow, StoreInfo } from '../embed/store.js';

/** File name of the cache inside a store folder. */
export const EXPLORER_MAP_FILE = 'explorer-map.json';

interface CachedMap {
  format: 'motif-explorer-map';
  version: 1;
  /** What the map was computed from; a different key means a stale cache. */
  key: { created: string; count: number; method: ProjectOptions['method']; seed: number };
  /** Piece id → [x, y]. */
  points: Record<string, [number, number]>;
}

/** What computing or reading the map did, for the server to say. */
export interface ExplorerMap {
  /** Piece id → [x, y]. */
  points: Map<string, readonly [number, number]>;
  cached: 'read' | 'written' | 'not written';
  /** Why the cache could not be written (store folder read-only...). */
  warning?: string;
}

/** The map of `rows` (every row of the store at `storePath`), from the cache when it matches. */
export function explorerMap(
  storePath: string,
  info: StoreInfo,
  rows: readonly EmbeddingRow[],
  method: ProjectOptions['method'] = 'tsne',
  seed = 42,
): ExplorerMap {
  const file = join(storePath, EXPLORER_MAP_FILE);
  const key: CachedMap['key'] = { created: info.created, count: rows.length, method, seed };
  if (existsSync(file)) {
    // A damaged or foreign cache is only a cache: computing again is the way out, so it is not an error.
    const cached = tryRead(file);
    if (cached && JSON.stringify(cached.key) === JSON.stringify(key) && rows.every((r) => cached.points[r.id])) {
      return { points: new Map(rows.map((r) => [r.id, cached.points[r.id]])), cached: 'read' };
    }
  }
  const xy = project(
    rows.map((r) => r.vector),
    { method, seed },
  );
  const points = new Map(rows.map((r, i) => [r.id, xy[i]] as const));
  const record: CachedMap = { format: 'motif-explorer-map', version: 1, key, points: Object.fromEntries(points) };
  try {
    writeAtomic(file, Buffer.from(JSON.stringify(record)));
    return { points, cached: 'written' };
  } catch (err) {
    return { points, cached: 'not written', warning: `map not cached (${(err as Error).message})` };
  }
}

function tryRead(file: string): CachedMap | undefined {
  try {
    const c = readJsonFile<CachedMap>(file);
    return c.format === 'motif-explorer-map' && c.version === 1 && c.points ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a new piece goes on the map: the mean of its neighbours' points weighted by similarity
 * (1 − distance, floored so that distant neighbours still count a little), so it lands among them.
 */
export function placeAmong(
  neighbours: ReadonlyArray<{ point: readonly [number, number]; distance: number }>,
): [number, number] {
  let x = 0,
    y = 0,
    total = 0;
  for (const n of neighbours) {
    const w = Math.max(1e-3, 1 - n.distance);
    x += w * n.point[0];
    y += w * n.point[1];
    total += w;
  }
  return total > 0 ? [x / total, y / total] : [0, 0];
}
