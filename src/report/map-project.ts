// Map panels from embedding vectors: each set projected to 2-D (t-SNE or UMAP, src/analysis/project.ts)
// with the same seed, then turned to face the last panel (map-align.ts) so snapshots compare by eye.
// Not an embedder: vectors in, panels out.
import { project, type ProjectOptions } from '../analysis/project.js';
import { alignTo } from './map-align.js';
import type { MapPanel } from './map-data.js';

/** Vectors of every map item (same item order in every set) under one panel title. */
export interface VectorSet {
  title: string;
  vectors: ReadonlyArray<ArrayLike<number>>;
}

/** One panel per set, in order; all panels but the last are rotated/mirrored onto the last. */
export function projectPanels(sets: readonly VectorSet[], options: ProjectOptions): MapPanel[] {
  const projected = sets.map((s) => project(s.vectors, options));
  const target = projected[projected.length - 1];
  return projected.map((points, i) => ({
    title: sets[i].title,
    points: i === projected.length - 1 ? points : alignTo(points, target),
  }));
}
