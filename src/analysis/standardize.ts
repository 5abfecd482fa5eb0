// Column standardization (z-scores) of row vectors: fit on one set, apply to any. Shared by the
// hand-crafted baseline and the logistic-regression probe. Not a general scaler zoo: no min-max, no robust variants.

/** Per-column mean and standard deviation; a constant column gets std 1 so it maps to 0, not NaN. */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Fits mean and (population) standard deviation of each column of `rows` (all of one length). */
export function fitStandardizer(rows: ReadonlyArray<ArrayLike<number>>): Standardizer {
  if (rows.length === 0) throw new Error('fitStandardizer: no rows');
  const d = rows[0].length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of rows) {
    if (r.length !== d) throw new Error(`fitStandardizer: rows of length ${r.length} and ${d}`);
    for (let j = 0; j < d; j++) mean[j] += r[j];
  }
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / rows.length);
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/** (row - mean) / std for each row. */
export function standardize(rows: ReadonlyArray<ArrayLike<number>>, s: Standardizer): Float64Array[] {
  return rows.map((r) => {
    const out = new Float64Array(s.mean.length);
    for (let j = 0; j < out.length; j++) out[j] = (r[j] - s.mean[j]) / s.std[j];
    return out;
  });
}
