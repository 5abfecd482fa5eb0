// Exact t-SNE (van der Maaten & Hinton 2008) into 2-D, with scikit-learn's optimizer schedule: perplexity-
// calibrated P by binary search, early exaggeration, momentum, per-parameter gains, PCA or seeded random init.
// Written here (not tsne-js/@keckelt/tsne) so that it is seeded, follows scikit-learn's schedule step for step
// and runs on flat typed arrays: for the few thousand pieces motif maps, O(n²) takes seconds (bench/tsne.mjs
// compares it with scikit-learn). Not Barnes-Hut: above MAX_EXACT_POINTS use UMAP (project.ts).

import { Rng } from '../util/rng.js';
import { gaussian } from './gaussian.js';

/** t-SNE settings; defaults are scikit-learn's TSNE defaults. */
export interface TsneOptions {
  perplexity?: number; // effective number of neighbours per point
  iterations?: number; // total gradient steps, exaggeration phase included
  earlyExaggeration?: number;
  exaggerationIterations?: number;
  learningRate?: number | 'auto'; // 'auto' = max(n / earlyExaggeration / 4, 50)
  init?: 'pca' | 'random';
  metric?: 'euclidean' | 'cosine';
  seed?: number;
}

/** The 2-D layout (n × 2, row-major) and the final KL divergence KL(P‖Q). */
export interface TsneResult {
  embedding: Float64Array;
  kl: number;
}

/** Largest input the exact method accepts: P, n × n doubles, is 200 MB at 5,000 points. */
export const MAX_EXACT_POINTS = 5000;

const MIN_PROB = 2.220446049250313e-16; // float64 epsilon, scikit-learn's floor on P and Q

/** Squared distances (n × n) between rows; 'cosine' uses unit-length rows, so it is 2 − 2·cos. */
export function squaredDistances(
  rows: ReadonlyArray<ArrayLike<number>>,
  metric: 'euclidean' | 'cosine' = 'euclidean',
): Float64Array {
  const n = rows.length;
  const x = rows.map((r) => {
    const v = Float64Array.from(r);
    if (metric === 'cosine') {
      const norm = Math.hypot(...v);
      if (norm > 0) for (let j = 0; j < v.length; j++) v[j] /= norm;
    }
    return v;
  });
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < x[i].length; k++) s += (x[i][k] - x[j][k]) ** 2;
      d[i * n + j] = s;
      d[j * n + i] = s;
    }
  }
  return d;
}

/**
 * Row-conditional p(j|i) ∝ exp(−β_i·d_ij) (n × n, rows sum to 1), each β_i found by bisection so that
 * the row's perplexity 2^H equals `perplexity` (to 1e-5 in entropy, as scikit-learn).
 */
export function conditionalProbabilities(dist: Float64Array, n: number, perplexity: number): Float64Array {
  const p = new Float64Array(n * n);
  const target = Math.log(perplexity); // entropy in nats
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let dmin = Infinity;
    for (let j = 0; j < n; j++) if (j !== i) dmin = Math.min(dmin, dist[row + j]);
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let step = 0; step < 200; step++) {
      // Distances shifted by the row minimum: same p, no underflow when all distances are large.
      let sum = 0;
      let wsum = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const e = Math.exp(-(dist[row + j] - dmin) * beta);
        p[row + j] = e;
        sum += e;
        wsum += (dist[row + j] - dmin) * e;
      }
      const entropy = Math.log(sum) + (beta * wsum) / sum;
      for (let j = 0; j < n; j++) p[row + j] /= sum;
      if (Math.abs(entropy - target) < 1e-5) break;
      if (entropy > target) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return p;
}

/** First two principal-component scores of `rows` (n × 2), by power iteration with deflation; signs fixed so each component's largest loading is positive. */
function pcaScores(rows: ReadonlyArray<ArrayLike<number>>, rng: Rng): Float64Array {
  const n = rows.length;
  const d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const x = rows.map((r) => Float64Array.from(r, (v, j) => v - mean[j]));
  const out = new Float64Array(n * 2);
  const found: Float64Array[] = [];
  for (let c = 0; c < 2; c++) {
    let v = Float64Array.from({ length: d }, () => gaussian(rng));
    for (let it = 0; it < 300; it++) {
      // v ← Xᵀ X v, minus the components already found.
      const next = new Float64Array(d);
      for (const xi of x) {
        let s = 0;
        for (let j = 0; j < d; j++) s += xi[j] * v[j];
        for (let j = 0; j < d; j++) next[j] += s * xi[j];
      }
      for (const u of found) {
        let s = 0;
        for (let j = 0; j < d; j++) s += next[j] * u[j];
        for (let j = 0; j < d; j++) next[j] -= s * u[j];
      }
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      for (let j = 0; j < d; j++) next[j] /= norm;
      let change = 0;
      for (let j = 0; j < d; j++) change = Math.max(change, Math.abs(next[j] - v[j]));
      v = next;
      if (change < 1e-10) break;
    }
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(v[j]) > Math.abs(big)) big = v[j];
    if (big < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
    found.push(v);
    x.forEach((xi, i) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += xi[j] * v[j];
      out[i * 2 + c] = s;
    });
  }
  return out;
}

/** Runs exact t-SNE on `rows` (n ≥ 2 vectors of equal length); deterministic for a given seed. */
export function tsne(rows: ReadonlyArray<ArrayLike<number>>, options: TsneOptions = {}): TsneResult {
  const n = rows.length;
  const {
    perplexity = 30,
    iterations = 1000,
    earlyExaggeration = 12,
    exaggerationIterations = 250,
    init = 'pca',
    metric = 'euclidean',
    seed = 42,
  } = options;
  if (n < 2) throw new Error(`tsne: needs at least 2 points, got ${n}`);
  if (n > MAX_EXACT_POINTS)
    throw new Error(`tsne: ${n} points is more than the exact method's ${MAX_EXACT_POINTS}; use UMAP for large sets`);
  if (!(perplexity > 0) || perplexity >= n)
    throw new Error(`tsne: perplexity must be in (0, ${n}) for ${n} points, got ${perplexity}`);
  const lr =
    options.learningRate === undefined || options.learningRate === 'auto'
      ? Math.max(n / earlyExaggeration / 4, 50)
      : options.learningRate;
  const rng = new Rng(seed);

  // Joint P: symmetrized conditionals, normalized to sum 1, floored at machine epsilon.
  const p = conditionalProbabilities(squaredDistances(rows, metric), n, perplexity);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = p[i * n + j] + p[j * n + i];
      p[i * n + j] = s;
      p[j * n + i] = s;
      total += 2 * s;
    }
  }
  for (let k = 0; k < n * n; k++) p[k] = Math.max(p[k] / total, MIN_PROB);

  // scikit-learn's init: PCA scores (or Gaussian noise) scaled so the first coordinate has std 1e-4.
  const y = init === 'pca' ? pcaScores(rows, rng) : Float64Array.from({ length: n * 2 }, () => gaussian(rng));
  let m0 = 0;
  for (let i = 0; i < n; i++) m0 += y[i * 2] / n;
  let v0 = 0;
  for (let i = 0; i < n; i++) v0 += (y[i * 2] - m0) ** 2 / n;
  const scale = 1e-4 / (Math.sqrt(v0) || 1);
  for (let k = 0; k < n * 2; k++) y[k] *= scale;

  const attract = new Float64Array(n * 2);
  const repel = new Float64Array(n * 2);
  const grad = new Float64Array(n * 2);
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  for (let it = 0; it < iterations; it++) {
    const exaggerating = it < exaggerationIterations;
    const exag = exaggerating ? earlyExaggeration : 1;
    const momentum = exaggerating ? 0.5 : 0.8;
    // dC/dy_i = 4 Σ_j (exag·p_ij − q_ij)·t_ij·(y_i − y_j) with t_ij = 1/(1 + ‖y_i − y_j‖²) and q_ij = t_ij / Z,
    // = 4 (exag·Σ p·t·Δ − Σ t²·Δ / Z): one pass over the pairs i < j (P and t are symmetric, Δ flips
    // sign), the kernel never stored; the per-point sums are small enough to stay in cache.
    attract.fill(0);
    repel.fill(0);
    let z = 0;
    for (let i = 0; i < n; i++) {
      const xi = y[i * 2];
      const yi = y[i * 2 + 1];
      const row = i * n;
      let ax = 0;
      let ay = 0;
      let rx = 0;
      let ry = 0;
      for (let j = i + 1; j < n; j++) {
        const dx = xi - y[j * 2];
        const dy = yi - y[j * 2 + 1];
        const t = 1 / (1 + dx * dx + dy * dy);
        z += t;
        const pt = p[row + j] * t;
        const tt = t * t;
        ax += pt * dx;
        ay += pt * dy;
        rx += tt * dx;
        ry += tt * dy;
        attract[j * 2] -= pt * dx;
        attract[j * 2 + 1] -= pt * dy;
        repel[j * 2] -= tt * dx;
        repel[j * 2 + 1] -= tt * dy;
      }
      attract[i * 2] += ax;
      attract[i * 2 + 1] += ay;
      repel[i * 2] += rx;
      repel[i * 2 + 1] += ry;
    }
    z *= 2;
    for (let k = 0; k < n * 2; k++) grad[k] = 4 * (exag * attract[k] - repel[k] / z);
    for (let k = 0; k < n * 2; k++) {
      gains[k] = update[k] * grad[k] < 0 ? gains[k] + 0.2 : Math.max(gains[k] * 0.8, 0.01);
      update[k] = momentum * update[k] - lr * gains[k] * grad[k];
      y[k] += update[k];
    }
  }
  return { embedding: y, kl: klDivergence(p, y, n) };
}

/** KL(P‖Q) of a layout, Q from the Student-t kernel (two passes: Z first). */
function klDivergence(p: Float64Array, y: Float64Array, n: number): number {
  const kernel = (i: number, j: number) => 1 / (1 + (y[i * 2] - y[j * 2]) ** 2 + (y[i * 2 + 1] - y[j * 2 + 1]) ** 2);
  let z = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i) z += kernel(i, j);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j !== i) kl += p[i * n + j] * Math.log(p[i * n + j] / Math.max(kernel(i, j) / z, MIN_PROB));
    }
  }
  return kl;
}
