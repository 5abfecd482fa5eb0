// Pieces ranked by their window nearest to a query, by brute force over every window (cosine distance): what
// the store's nearestByWindow, `motif similar --excerpt` and the explorer's match=window must answer.
import { cosine } from '../../src/analysis/metrics.js';
import type { WindowRow } from '../../src/embed/store.js';

/** Each piece of `ids` at its nearest window to `q`, nearest first. */
export function rankByBestWindow(
  q: ArrayLike<number>,
  ids: readonly string[],
  windows: readonly WindowRow[],
): Array<{ id: string; distance: number; start: number; seconds: number }> {
  return ids
    .map((id) => {
      const mine = windows.filter((w) => w.id === id);
      const d = mine.map((w) => 1 - cosine(q, w.vector));
      const i = d.indexOf(Math.min(...d));
      return { id, distance: d[i], start: mine[i].start, seconds: mine[i].seconds };
    })
    .sort((a, b) => a.distance - b.distance);
}
