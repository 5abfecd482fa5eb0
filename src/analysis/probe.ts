// Linear probe: multinomial logistic regression, L2-regularized, fitted by L-BFGS from zero weights,
// so that the same data always gives the same model. Written here because it is ~100 lines and no
// well-kept npm package offers a multinomial L-BFGS fit; tested against scikit-learn's LogisticRegression.
// Not a general optimizer or classifier library: dense inputs, one penalty, no class weights.

import { fitStandardizer, standardize, type Standardizer } from './standardize.js';

/** Fit settings; defaults match scikit-learn's LogisticRegression() (C = 1, lbfgs). */
export interface ProbeOptions {
  /** Inverse regularization strength, as scikit-learn's C: objective = C·Σ loss + ½‖W‖² (bias unpenalized). */
  c?: number;
  /** Stop when the largest gradient component of the mean loss falls below this. */
  tol?: number;
  maxIter?: number;
}

/** A fitted probe: standardizer, classes (sorted), weights (d × C, row-major) and biases (C). */
export interface Probe {
  readonly classes: readonly string[];
  readonly standardizer: Standardizer;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly iterations: number;
}

/** Mean cross-entropy + ½‖W‖²/(C·n) and its gradient, for θ = [W (d × K), b (K)] on rows `x` with class indices `y`. */
export function logisticLoss(
  theta: Float64Array,
  x: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  k: number,
  c: number,
  grad: Float64Array,
): number {
  const n = x.length;
  const d = x[0].length;
  const penalty = 1 / (c * n); // dividing sklearn's objective by C·n keeps the loss term a mean
  grad.fill(0);
  const logits = new Float64Array(k);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    for (let m = 0; m < k; m++) logits[m] = theta[d * k + m];
    for (let j = 0; j < d; j++) {
      const xij = xi[j];
      if (xij === 0) continue;
      for (let m = 0; m < k; m++) logits[m] += xij * theta[j * k + m];
    }
    let max = -Infinity;
    for (let m = 0; m < k; m++) max = Math.max(max, logits[m]);
    let z = 0;
    for (let m = 0; m < k; m++) z += Math.exp(logits[m] - max);
    const logZ = max + Math.log(z);
    loss += logZ - logits[y[i]];
    for (let m = 0; m < k; m++) {
      const r = (Math.exp(logits[m] - logZ) - (m === y[i] ? 1 : 0)) / n; // dLoss/dlogit
      grad[d * k + m] += r;
      for (let j = 0; j < d; j++) grad[j * k + m] += r * xi[j];
    }
  }
  loss /= n;
  for (let p = 0; p < d * k; p++) {
    loss += 0.5 * penalty * theta[p] * theta[p];
    grad[p] += penalty * theta[p];
  }
  return loss;
}

/** Minimizes logisticLoss by L-BFGS (memory 10, backtracking Armijo line search); returns θ and the iterations used. */
export function fitLogistic(
  x: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  k: number,
  { c = 1, tol = 1e-6, maxIter = 1000 }: ProbeOptions = {},
): { theta: Float64Array; iterations: number } {
  if (x.length === 0) throw new Error('fitLogistic: no training rows');
  const size = (x[0].length + 1) * k;
  let theta = new Float64Array(size);
  let g = new Float64Array(size);
  let f = logisticLoss(theta, x, y, k, c, g);
  const memory: Array<{ s: Float64Array; yv: Float64Array; rho: number }> = [];
  const next = new Float64Array(size);
  const gNext = new Float64Array(size);
  let it = 0;
  for (; it < maxIter; it++) {
    if (maxAbs(g) < tol) break;
    // Two-loop recursion: dir = -H·g with H the L-BFGS inverse-Hessian estimate.
    const dir = Float64Array.from(g, (v) => -v);
    const alphas: number[] = [];
    for (let m = memory.length - 1; m >= 0; m--) {
      const a = memory[m].rho * dotv(memory[m].s, dir);
      alphas[m] = a;
      axpy(-a, memory[m].yv, dir);
    }
    const last = memory[memory.length - 1];
    const gamma = last ? dotv(last.s, last.yv) / dotv(last.yv, last.yv) : 1 / Math.max(1, Math.sqrt(dotv(g, g)));
    for (let p = 0; p < size; p++) dir[p] *= gamma;
    for (let m = 0; m < memory.length; m++) axpy(alphas[m] - memory[m].rho * dotv(memory[m].yv, dir), memory[m].s, dir);
    let slope = dotv(g, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      memory.length = 0;
      for (let p = 0; p < size; p++) dir[p] = -g[p];
      slope = -dotv(g, g);
    }
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let p = 0; p < size; p++) next[p] = theta[p] + step * dir[p];
      fNext = logisticLoss(next, x, y, k, c, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNext < f)) break; // no progress possible at double precision
    const s = Float64Array.from(next, (v, p) => v - theta[p]);
    const yv = Float64Array.from(gNext, (v, p) => v - g[p]);
    const sy = dotv(s, yv);
    if (sy > 1e-12) {
      memory.push({ s, yv, rho: 1 / sy });
      if (memory.length > 10) memory.shift();
    }
    [theta, g] = [Float64Array.from(next), Float64Array.from(gNext)];
    f = fNext;
  }
  return { theta, iterations: it };
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Standardizes `x` (statistics of `x` itself) and fits a multinomial probe on labels `labels`. */
export function trainProbe(
  x: ReadonlyArray<ArrayLike<number>>,
  labels: readonly string[],
  options: ProbeOptions = {},
): Probe {
  if (x.length !== labels.length) throw new Error(`trainProbe: ${x.length} rows for ${labels.length} labels`);
  const classes = [...new Set(labels)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const standardizer = fitStandardizer(x);
  const k = classes.length;
  const d = x[0].length;
  const { theta, iterations } = fitLogistic(
    standardize(x, standardizer),
    labels.map((l) => index.get(l) as number),
    k,
    options,
  );
  return { classes, standardizer, weights: theta.slice(0, d * k), bias: theta.slice(d * k), iterations };
}

/** The most probable class of each row (ties: the class first in sorted order). */
export function predictProbe(probe: Probe, x: ReadonlyArray<ArrayLike<number>>): string[] {
  const k = probe.classes.length;
  return standardize(x, probe.standardizer).map((row) => {
    let best = 0;
    let bestLogit = -Infinity;
    for (let m = 0; m < k; m++) {
      let logit = probe.bias[m];
      for (let j = 0; j < row.length; j++) logit += row[j] * probe.weights[j * k + m];
      if (logit > bestLogit) {
        bestLogit = logit;
        best = m;
      }
    }
    return probe.classes[best];
  });
}
