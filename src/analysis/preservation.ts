// How faithfully a 2-D map keeps the neighbourhoods of the original vectors: k-NN preservation and
// trustworthiness (Venna & Kaski 2001), both with Euclidean distances in both spaces. O(n² log n):
// for judging maps of a few thousand points, not for search (the store does that).

function neighbourOrder(rows: ReadonlyArray<ArrayLike<number>>, i: number): number[] {
  const d = rows.map((r) => {
    let s = 0;
    for (let k = 0; k < r.length; k++) s += (r[k] - rows[i][k]) ** 2;
    return s;
  });
  return rows
    .map((_, j) => j)
    .filter((j) => j !== i)
    .sort((a, b) => d[a] - d[b] || a - b);
}

function checkShapes(high: ReadonlyArray<ArrayLike<number>>, low: ReadonlyArray<ArrayLike<number>>, k: number): void {
  if (high.length !== low.length)
    throw new Error(`preservation: ${high.length} original points but ${low.length} mapped`);
  if (!(k >= 1 && k < high.length)) throw new Error(`preservation: k must be in [1, ${high.length - 1}], got ${k}`);
}

/** Mean share of each point's k nearest neighbours in `high` that are also among its k nearest in `low`. */
export function knnPreservation(
  high: ReadonlyArray<ArrayLike<number>>,
  low: ReadonlyArray<ArrayLike<number>>,
  k = 10,
): number {
  checkShapes(high, low, k);
  let kept = 0;
  for (let i = 0; i < high.length; i++) {
    const near = new Set(neighbourOrder(high, i).slice(0, k));
    for (const j of neighbourOrder(low, i).slice(0, k)) if (near.has(j)) kept++;
  }
  return kept / (k * high.length);
}

/** Trustworthiness in [0, 1]: 1 when no point's k map-neighbours include intruders from far away in `high`. */
export function trustworthiness(
  high: ReadonlyArray<ArrayLike<number>>,
  low: ReadonlyArray<ArrayLike<number>>,
  k = 10,
): number {
  checkShapes(high, low, k);
  const n = high.length;
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    const rank = new Int32Array(n); // rank[j] = position of j among i's neighbours in `high`, from 1
    neighbourOrder(high, i).forEach((j, r) => (rank[j] = r + 1));
    for (const j of neighbourOrder(low, i).slice(0, k)) penalty += Math.max(0, rank[j] - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}
