// Evaluation metrics over embedding vectors and labels, all with cosine similarity: same-piece
// retrieval (MRR, recall@k), piece-disjoint k-NN classification, accuracy, macro-F1, majority rate.
// Pure functions: no I/O, no model, no randomness (excerpt sampling and the probe live elsewhere).

/** A set of vectors with an id (performance) and a group (piece) per vector. */
export interface Labelled {
  readonly vectors: ReadonlyArray<ArrayLike<number>>;
  readonly ids: readonly string[];
  readonly groups: readonly string[];
}

/**
 * Retrieval scores; `queries` counts the queries that had at least one item of their group in the gallery.
 * Over zero queries MRR and recall are undefined, so null (not 0, which would read as "never found").
 */
export interface RetrievalScores {
  mrr: number | null;
  recallAt: Record<number, number | null>;
  queries: number;
  skipped: number; // queries with no same-group item left in the gallery
}

/** Rows scaled to unit length (a zero row stays zero, so it is similar to nothing). */
export function unitRows(vectors: ReadonlyArray<ArrayLike<number>>): Float64Array[] {
  return vectors.map((v) => {
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j] * v[j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    const out = new Float64Array(v.length);
    for (let j = 0; j < v.length; j++) out[j] = v[j] * inv;
    return out;
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Same-group retrieval: each query ranks the gallery by cosine similarity, the gallery item with the
 * query's own id excluded. Rank of a query = 1 + the number of other-group items scoring at least as
 * high as its best same-group item: ties count against the query, so a collapsed embedding (all
 * vectors equal) scores as badly as it should. MRR averages 1/rank; recall@k is the share with rank ≤ k.
 */
export function retrieval(queries: Labelled, gallery: Labelled, ks: readonly number[] = [1, 5]): RetrievalScores {
  return bestPartRetrieval(queries, { ...gallery, parts: gallery.vectors.map((v) => [v]) }, ks);
}

/** A gallery whose items each hold several vectors (a piece's windows), with an id and a group per item. */
export interface LabelledParts {
  readonly parts: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>;
  readonly ids: readonly string[];
  readonly groups: readonly string[];
}

/**
 * {@link retrieval} against a gallery of parts: an item's similarity to a query is that of its most similar
 * part (a passage is found by the window that plays it). An item with no parts is similar to nothing.
 */
export function bestPartRetrieval(
  queries: Labelled,
  gallery: LabelledParts,
  ks: readonly number[] = [1, 5],
): RetrievalScores {
  const q = unitRows(queries.vectors);
  const g = gallery.parts.map(unitRows);
  let rr = 0;
  const hits = ks.map(() => 0);
  let counted = 0;
  let skipped = 0;
  for (let i = 0; i < q.length; i++) {
    const sims = g.map((parts) => parts.reduce((m, v) => Math.max(m, dot(q[i], v)), -Infinity));
    let best = -Infinity;
    for (let j = 0; j < g.length; j++) {
      if (gallery.ids[j] !== queries.ids[i] && gallery.groups[j] === queries.groups[i]) best = Math.max(best, sims[j]);
    }
    if (best === -Infinity) {
      skipped++;
      continue;
    }
    let rank = 1;
    for (let j = 0; j < g.length; j++) {
      if (gallery.ids[j] !== queries.ids[i] && gallery.groups[j] !== queries.groups[i] && sims[j] >= best) rank++;
    }
    counted++;
    rr += 1 / rank;
    ks.forEach((k, n) => {
      if (rank <= k) hits[n]++;
    });
  }
  const recallAt: Record<number, number | null> = {};
  ks.forEach((k, n) => (recallAt[k] = counted ? hits[n] / counted : null));
  return { mrr: counted ? rr / counted : null, recallAt, queries: counted, skipped };
}

/**
 * Piece-disjoint k-NN classification: each item's k most cosine-similar items among those of OTHER
 * groups vote with their labels. Equal similarities rank by index. A tied vote goes to the tied label
 * with the larger summed similarity, then to the one of the nearer neighbour. `pool`, when given, says
 * which items may be neighbours at all (every item is still a query).
 */
export function knnPredict(
  items: { vectors: ReadonlyArray<ArrayLike<number>>; groups: readonly string[] },
  labels: readonly string[],
  k = 5,
  pool?: readonly boolean[],
): string[] {
  if (pool && pool.length !== labels.length)
    throw new Error(`knnPredict: a pool of ${pool.length} for ${labels.length} items`);
  const u = unitRows(items.vectors);
  return u.map((qi, i) => {
    const candidates: Array<[number, number]> = [];
    for (let j = 0; j < u.length; j++)
      if (items.groups[j] !== items.groups[i] && (!pool || pool[j])) candidates.push([dot(qi, u[j]), j]);
    candidates.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const votes = new Map<string, { count: number; sim: number; first: number }>();
    candidates.slice(0, k).forEach(([sim, j], r) => {
      const v = votes.get(labels[j]) ?? { count: 0, sim: 0, first: r };
      v.count++;
      v.sim += sim;
      votes.set(labels[j], v);
    });
    let winner = '';
    let w: { count: number; sim: number; first: number } | undefined;
    for (const [label, v] of votes) {
      if (
        !w ||
        v.count > w.count ||
        (v.count === w.count && (v.sim > w.sim || (v.sim === w.sim && v.first < w.first)))
      ) {
        winner = label;
        w = v;
      }
    }
    return winner;
  });
}

/**
 * The most a piece-disjoint k-NN can score: the share of items whose label some item of another group also
 * has (an item whose label only its own group has can never be named by a neighbour).
 */
export function knnCeiling(labels: readonly string[], groups: readonly string[]): number {
  if (labels.length !== groups.length)
    throw new Error(`knnCeiling: ${labels.length} labels for ${groups.length} groups`);
  if (labels.length === 0) return 0;
  const groupsOf = new Map<string, Set<string>>();
  labels.forEach((l, i) => groupsOf.set(l, (groupsOf.get(l) ?? new Set()).add(groups[i])));
  return labels.filter((l) => groupsOf.get(l)!.size > 1).length / labels.length;
}

/** How a classifier did on one true label: right answers out of the label's items, and what it answered instead. */
export interface LabelAnswers {
  correct: number;
  performances: number;
  /** Wrong answers by the label given (a confusion-matrix row without its diagonal). */
  mistaken_for: Record<string, number>;
}

/** Right answers per true label, out of that label's items (performances), and the wrong answers given:
 *  which labels a classifier finds, and what it takes the others for. */
export function accuracyByLabel(predicted: readonly string[], truth: readonly string[]): Record<string, LabelAnswers> {
  if (predicted.length !== truth.length)
    throw new Error(`accuracyByLabel: ${predicted.length} predictions for ${truth.length} labels`);
  const out: Record<string, LabelAnswers> = {};
  truth.forEach((t, i) => {
    const c = (out[t] ??= { correct: 0, performances: 0, mistaken_for: {} });
    c.performances++;
    if (predicted[i] === t) c.correct++;
    else c.mistaken_for[predicted[i]] = (c.mistaken_for[predicted[i]] ?? 0) + 1;
  });
  return out;
}

/** Share of positions where `predicted` equals `truth`. */
export function accuracy(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length)
    throw new Error(`accuracy: ${predicted.length} predictions for ${truth.length} labels`);
  if (truth.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) ok++;
  return ok / truth.length;
}

/**
 * Unweighted mean of per-class F1 over every label that occurs in `truth` or `predicted` (scikit-learn's
 * `average='macro'`); a class never predicted and never true is absent, one with no true positives scores 0.
 */
export function macroF1(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length)
    throw new Error(`macroF1: ${predicted.length} predictions for ${truth.length} labels`);
  const classes = [...new Set([...truth, ...predicted])];
  if (classes.length === 0) return 0;
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      if (predicted[i] === c && truth[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (truth[i] === c) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes.length;
}

/** Accuracy on `truth` of always answering the most frequent label of `reference` (default: `truth` itself). */
export function majorityAccuracy(truth: readonly string[], reference: readonly string[] = truth): number {
  const counts = new Map<string, number>();
  for (const l of reference) counts.set(l, (counts.get(l) ?? 0) + 1);
  let top = '';
  let most = -1;
  for (const [l, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (c > most) {
      top = l;
      most = c;
    }
  }
  return accuracy(
    truth.map(() => top),
    truth,
  );
}
