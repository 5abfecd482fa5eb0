// The logistic-regression probe: gradient against finite differences, the fit against scikit-learn's
// LogisticRegression (Debian python3-sklearn; skipped visibly where absent), and prediction on separable data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fitLogistic, logisticLoss, predictProbe, trainProbe } from '../../src/analysis/probe.js';
import { Rng } from '../../src/util/rng.js';
import { gaussian } from '../../src/analysis/gaussian.js';
import { expectClose } from '../helpers/close.js';

const PYTHON = '/usr/bin/python3';
const sklearn = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

/** `n` points per class around `k` random centres in `d` dimensions (spread `spread`), labels 0..k-1. */
function blobs(seed: number, n: number, k: number, d: number, spread: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 3 * gaussian(rng)));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n * k; i++) {
    x.push(centres[i % k].map((c) => c + spread * gaussian(rng)));
    y.push(i % k);
  }
  return { x, y };
}

test('logisticLoss gradient matches central finite differences', () => {
  const { x, y } = blobs(1, 5, 3, 4, 2);
  const rng = new Rng(2);
  const theta = Float64Array.from({ length: (4 + 1) * 3 }, () => gaussian(rng) * 0.5);
  const grad = new Float64Array(theta.length);
  logisticLoss(theta, x, y, 3, 0.7, grad);
  const numeric = new Float64Array(theta.length);
  const scratch = new Float64Array(theta.length);
  const h = 1e-6;
  for (let p = 0; p < theta.length; p++) {
    const plus = Float64Array.from(theta);
    const minus = Float64Array.from(theta);
    plus[p] += h;
    minus[p] -= h;
    numeric[p] = (logisticLoss(plus, x, y, 3, 0.7, scratch) - logisticLoss(minus, x, y, 3, 0.7, scratch)) / (2 * h);
  }
  expectClose(grad, numeric, { rtol: 1e-5, atol: 1e-8, label: 'gradient' });
});

test(
  'fitLogistic reaches scikit-learn LogisticRegression’s solution (multinomial, C = 0.5)',
  { skip: sklearn ? false : `no scikit-learn at ${PYTHON}` },
  () => {
    const { x, y } = blobs(3, 20, 3, 5, 3); // overlapping classes, so the optimum is finite and the penalty matters
    const { theta, iterations } = fitLogistic(x, y, 3, { c: 0.5, tol: 1e-9 });
    assert.ok(iterations > 0);
    const script = `
import json, sys
from sklearn.linear_model import LogisticRegression
d = json.load(sys.stdin)
m = LogisticRegression(C=0.5, tol=1e-12, max_iter=100000, multi_class='multinomial').fit(d['x'], d['y'])
print(json.dumps({'coef': m.coef_.tolist(), 'intercept': m.intercept_.tolist()}))`;
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify({ x, y }), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { coef: number[][]; intercept: number[] };
    const d = 5;
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let m = 0; m < 3; m++) {
      for (let j = 0; j < d; j++) {
        ours.push(theta[j * 3 + m]);
        theirs.push(ref.coef[m][j]);
      }
      ours.push(theta[d * 3 + m]);
      theirs.push(ref.intercept[m]);
    }
    expectClose(ours, theirs, { rtol: 1e-4, atol: 1e-5, label: 'weights and biases vs scikit-learn' });
  },
);

test('trainProbe separates well-separated classes and is deterministic', () => {
  const train = blobs(4, 30, 4, 8, 0.5);
  const names = ['Bach', 'Chopin', 'Liszt', 'Mozart'];
  const labels = train.y.map((c) => names[c]);
  const probe = trainProbe(train.x, labels);
  assert.deepEqual(probe.classes, names);
  // Test points from the same centres (same seed → same centres), fresh noise.
  const rng = new Rng(99);
  const test = train.x.map((row) => row.map((v) => v + 0.3 * gaussian(rng)));
  assert.deepEqual(predictProbe(probe, test), labels);
  const again = trainProbe(train.x, labels);
  assert.deepEqual([...again.weights], [...probe.weights]);
});
