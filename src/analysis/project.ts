// 2-D projection of embedding vectors for maps: exact t-SNE (tsne.ts) or UMAP (umap-js, the PAIR-code
// port of McInnes' UMAP). One entry point so the map code does not care which. Not a plotting module.

import { UMAP } from 'umap-js';
import { Rng } from '../util/rng.js';
import { cosine } from './metrics.js';
import { tsne } from './tsne.js';

/** Projection settings: the method, a seed (same seed, same map) and the distance between vectors. */
export interface ProjectOptions {
  method: 'tsne' | 'umap';
  seed?: number;
  metric?: 'euclidean' | 'cosine'; // default cosine, the similarity the evaluation and search use
  perplexity?: number; // t-SNE only; lowered to (n − 1) / 3 for small sets, as t-SNE needs 3·perplexity < n
  neighbours?: number; // UMAP only (nNeighbors), default 15
}

/** One [x, y] per input vector, in input order; deterministic for a given seed. */
export function project(
  vectors: ReadonlyArray<ArrayLike<number>>,
  { method, seed = 42, metric = 'cosine', perplexity = 30, neighbours = 15 }: ProjectOptions,
): Array<[number, number]> {
  const n = vectors.length;
  // Two points need no method (and UMAP needs three): put them on a line.
  if (n <= 2) return vectors.map((_, i): [number, number] => [i, 0]);
  if (method === 'tsne') {
    const { embedding } = tsne(vectors, { seed, metric, perplexity: Math.max(1, Math.min(perplexity, (n - 1) / 3)) });
    return Array.from({ length: n }, (_, i): [number, number] => [embedding[i * 2], embedding[i * 2 + 1]]);
  }
  const rng = new Rng(seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(neighbours, n - 1)),
    random: () => rng.nextFloat(),
    ...(metric === 'cosine' ? { distanceFn: (a: number[], b: number[]) => 1 - cosine(a, b) } : {}),
  });
  return umap.fit(vectors.map((v) => Array.from(v))).map((p): [number, number] => [p[0], p[1]]);
}
