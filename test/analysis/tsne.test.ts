// t-SNE and UMAP projections: perplexity calibration checked against its definition, and on
// well-separated Gaussian clusters high neighbourhood preservation, trustworthiness and separation,
// far above a random layout of the same points. Also determinism for a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionalProbabilities, squaredDistances, tsne } from '../../src/analysis/tsne.js';
import { project } from '../../src/analysis/project.js';
import { knnPreservation, trustworthiness } from '../../src/analysis/preservation.js';
import { gaussian } from '../../src/analysis/gaussian.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';

/** `k` clusters of `per` points in `d` dimensions: centres 10 apart on average, unit spread. */
function clusters(seed: number, k: number, per: number, d: number): { x: number[][]; label: number[] } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 7 * gaussian(rng)));
  const x: number[][] = [];
  const label: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < per; i++) {
      x.push(centres[c].map((v) => v + gaussian(rng)));
      label.push(c);
    }
  }
  return { x, label };
}

/** Share of points whose nearest other point in the map belongs to their own cluster. */
function nearestSameCluster(map: ArrayLike<number>[], label: number[]): number {
  let ok = 0;
  map.forEach((p, i) => {
    let best = -1;
    let bestD = Infinity;
    map.forEach((q, j) => {
      const d = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2;
      if (j !== i && d < bestD) [best, bestD] = [j, d];
    });
    if (label[best] === label[i]) ok++;
  });
  return ok / map.length;
}

test('conditional probabilities have exactly the requested perplexity per row', () => {
  const { x } = clusters(1, 3, 20, 5);
  const n = x.length;
  const p = conditionalProbabilities(squaredDistances(x), n, 10);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let entropy = 0;
    for (let j = 0; j < n; j++) {
      const v = p[i * n + j];
      sum += v;
      if (v > 0) entropy -= v * Math.log(v);
    }
    assert.equal(p[i * n + i], 0);
    expectClose(sum, 1, { label: `row ${i} sum` });
    expectClose(Math.exp(entropy), 10, { rtol: 1e-4, label: `row ${i} perplexity` });
  }
});

test('t-SNE keeps neighbourhoods of separated clusters and separates them; same seed, same map', (t) => {
  const { x, label } = clusters(2, 4, 40, 10);
  const { embedding, kl } = tsne(x, { perplexity: 20, iterations: 500, seed: 7 });
  const map = Array.from({ length: x.length }, (_, i) => [embedding[i * 2], embedding[i * 2 + 1]]);
  const rng = new Rng(3);
  const random = x.map(() => [gaussian(rng), gaussian(rng)]);
  const kept = knnPreservation(x, map, 10);
  const baseline = knnPreservation(x, random, 10);
  const trust = trustworthiness(x, map, 10);
  t.diagnostic(
    `10-NN preservation ${kept.toFixed(3)} (random layout ${baseline.toFixed(3)}), trustworthiness ${trust.toFixed(3)}, KL ${kl.toFixed(3)}`,
  );
  assert.ok(kept > 0.45, `10-NN preservation ${kept.toFixed(3)}`);
  assert.ok(kept > baseline + 0.4, `preservation ${kept.toFixed(3)} vs random layout ${baseline.toFixed(3)}`);
  assert.ok(trust > 0.9 && trust > trustworthiness(x, random, 10) + 0.2, `trustworthiness ${trust.toFixed(3)}`);
  assert.equal(nearestSameCluster(map, label), 1);
  assert.ok(Number.isFinite(kl) && kl > 0 && kl < 2, `KL ${kl}`);
  assert.deepEqual([...tsne(x, { perplexity: 20, iterations: 500, seed: 7 }).embedding], [...embedding]);
});

test('project: t-SNE and UMAP both separate the clusters, deterministically', () => {
  const { x, label } = clusters(4, 3, 30, 8);
  for (const method of ['tsne', 'umap'] as const) {
    const map = project(x, { method, seed: 5 });
    assert.equal(map.length, x.length);
    assert.equal(nearestSameCluster(map, label), 1, method);
    assert.ok(trustworthiness(x, map, 10) > 0.85, `${method} trustworthiness`);
    assert.deepEqual(project(x, { method, seed: 5 }), map, `${method} is deterministic`);
  }
  assert.deepEqual(project([[1, 2]], { method: 'umap' }), [[0, 0]]);
  assert.equal(
    project(
      [
        [1, 2],
        [3, 4],
        [5, 7],
      ],
      { method: 'umap' },
    ).length,
    3,
    'UMAP on three points',
  );
});
