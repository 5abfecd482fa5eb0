// Benchmark: motif's embedding store (LanceDB; exact scan and IVF-HNSW-SQ index) against usearch (with --peer,
// once installed: `npm i --no-save usearch`) on N random unit vectors of D dimensions. First computes the exact
// cosine top-k of every query by brute force, then reports build time, query latency and recall@k of each.
// Usage: npm run build && node bench/store.mjs [--n 100000] [--dim 256] [--queries 50] [--k 10] [--peer] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../dist/embed/store.js';
import { Rng } from '../dist/util/rng.js';
import { cpuInfo } from './lib/hardware.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const N = option('--n', 100_000);
const D = option('--dim', 256);
const Q = option('--queries', 50);
const K = option('--k', 10);
const json = args.includes('--json');

const rng = new Rng(1);
function unitVector() {
  const v = new Float32Array(D);
  let s = 0;
  for (let j = 0; j < D; j++) {
    // Box–Muller: isotropic directions, the hardest case for an ANN index (no clusters to exploit).
    v[j] = Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
    s += v[j] * v[j];
  }
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < D; j++) v[j] *= inv;
  return v;
}
const vectors = Array.from({ length: N }, unitVector);
const queries = Array.from({ length: Q }, unitVector);

function exactTopK(q) {
  const sims = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const v = vectors[i];
    let s = 0;
    for (let j = 0; j < D; j++) s += q[j] * v[j];
    sims[i] = s;
  }
  return Array.from(sims.keys())
    .sort((a, b) => sims[b] - sims[a])
    .slice(0, K);
}
const t0 = performance.now();
const truth = queries.map(exactTopK);
const bruteMs = (performance.now() - t0) / Q;

const recall = (found) =>
  found.reduce((s, ids, i) => s + ids.filter((id) => truth[i].includes(id)).length, 0) / (Q * K);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = vectors.map((vector, i) => ({
  id: String(i),
  vector,
  composer: i % 7 ? 'A' : 'B',
  title: null,
  piece: String(i),
  performer: null,
  file: `/x/${i}.mid`,
  split: 'test',
  key: null,
  keySource: null,
  form: 'other',
  duration: 1,
  notes: 1,
  tokens: 1,
}));
const results = [{ method: 'brute force (JS, exact)', buildS: 0, queryMs: bruteMs, recall: 1 }];
const dir = mkdtempSync(join(tmpdir(), 'motif-store-bench-'));
try {
  for (const [method, indexMinRows] of [
    ['motif store, exact scan', Infinity],
    ['motif store, IVF-HNSW-SQ', 0],
  ]) {
    const b0 = performance.now();
    const store = await createStore(join(dir, method.replace(/\W+/g, '-')), rows, { indexMinRows });
    const buildS = (performance.now() - b0) / 1000;
    const times = [];
    const found = [];
    for (const q of queries) {
      const q0 = performance.now();
      const hits = await store.nearest(q, K);
      times.push(performance.now() - q0);
      found.push(hits.map((h) => Number(h.row.id)));
    }
    results.push({ method, buildS, queryMs: median(times), recall: recall(found) });
    // The exact scan must agree with brute force before any timing means anything.
    if (indexMinRows === Infinity && recall(found) < 1)
      throw new Error(`exact scan found ${recall(found)} of the brute-force neighbours`);
  }
  const usearch = args.includes('--peer') ? await import('usearch').catch(() => undefined) : undefined;
  if (usearch) {
    const b0 = performance.now();
    const index = new usearch.Index({
      metric: 'cos',
      dimensions: D,
      quantization: 'f32',
      connectivity: 16,
      expansion_add: 128,
      expansion_search: 256,
    });
    const keys = BigUint64Array.from(vectors, (_, i) => BigInt(i));
    const flat = new Float32Array(N * D);
    vectors.forEach((v, i) => flat.set(v, i * D));
    index.add(keys, flat, 2);
    const buildS = (performance.now() - b0) / 1000;
    const times = [];
    const found = [];
    for (const q of queries) {
      const q0 = performance.now();
      const m = index.search(q, K, 1);
      times.push(performance.now() - q0);
      found.push(Array.from(m.keys, Number));
    }
    results.push({
      method: 'usearch HNSW (in memory, no metadata)',
      buildS,
      queryMs: median(times),
      recall: recall(found),
    });
  } else
    results.push({
      method: `usearch: ${args.includes('--peer') ? 'not installed (npm i --no-save usearch)' : 'skipped (--peer, ~2.5 min at 100k)'}`,
      buildS: NaN,
      queryMs: NaN,
      recall: NaN,
    });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const hw = cpuInfo();
if (json)
  console.log(
    JSON.stringify({
      n: N,
      dim: D,
      queries: Q,
      k: K,
      cpu: hw.model,
      threads: hw.threads,
      node: process.version,
      results,
    }),
  );
else {
  console.log(
    `store benchmark: ${N} random unit vectors, ${D}-d, ${Q} queries, recall@${K} against exact cosine top-${K}`,
  );
  console.log(`${hw.model}, ${hw.threads} threads, node ${process.version}`);
  console.log('method'.padEnd(48) + 'build s'.padStart(9) + 'query ms'.padStart(10) + `recall@${K}`.padStart(11));
  for (const r of results)
    console.log(
      r.method.padEnd(48) +
        r.buildS.toFixed(2).padStart(9) +
        r.queryMs.toFixed(2).padStart(10) +
        r.recall.toFixed(3).padStart(11),
    );
}
