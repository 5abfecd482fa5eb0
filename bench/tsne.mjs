// Benchmark: motif's exact t-SNE vs scikit-learn's TSNE (Barnes-Hut and exact) on the same vectors: the
// standardized hand-crafted vectors of every ASAP performance (CC BY-NC-SA 4.0). Same settings on both
// sides (perplexity 30, 1000 iterations, PCA init, learning rate 'auto'). Checks first that motif's
// trustworthiness agrees with sklearn.manifold.trustworthiness on motif's map, then prints time, KL,
// 10-NN preservation and trustworthiness per method; with --json, one JSON object as the last line.
// Usage: npm run build && node bench/tsne.mjs [--data DIR] [--every N] [--no-exact] [--json]
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAsapMetadata } from '../dist/data/metadata.js';
import { readMidi } from '../dist/midi/read.js';
import { applySustain } from '../dist/midi/sustain.js';
import { handcraftedVector } from '../dist/analysis/handcrafted.js';
import { fitStandardizer, standardize } from '../dist/analysis/standardize.js';
import { tsne } from '../dist/analysis/tsne.js';
import { knnPreservation, trustworthiness } from '../dist/analysis/preservation.js';

const PYTHON = '/usr/bin/python3';
const K = 10;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const json = args.includes('--json');
const exact = !args.includes('--no-exact'); // scikit-learn's exact method takes about a minute here
const dataDir = resolve(option('--data', fileURLToPath(new URL('../../shared/data/asap/', import.meta.url))));
const every = Number(option('--every', 1));
const log = json ? () => {} : (...a) => console.log(...a);

const items = readAsapMetadata(resolve(dataDir, 'metadata.csv'), dataDir, false).filter((_, i) => i % every === 0);
const raw = items.map((item) => handcraftedVector(applySustain(readMidi(readFileSync(item.path), item.path))));
const x = standardize(raw, fitStandardizer(raw)).map((r) => Array.from(r));
log(`${x.length} ASAP performances, ${x[0].length} standardized hand-crafted features each`);

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const ours = tsne(x, { perplexity: 30, iterations: 1000, init: 'pca', seed: 0 });
const motifSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const motifCpu = (cpu.user + cpu.system) / 1e6;
const ourMap = Array.from({ length: x.length }, (_, i) => [ours.embedding[i * 2], ours.embedding[i * 2 + 1]]);

const script = `
import json, sys, time, sklearn
import numpy as np
from sklearn.manifold import TSNE, trustworthiness
d = json.load(sys.stdin)
X = np.array(d['x'])
out = {'version': sklearn.__version__, 'motif_trust': trustworthiness(X, np.array(d['motif']), n_neighbors=${K}), 'runs': []}
for method in d['methods']:
    t, c = time.perf_counter(), time.process_time()
    m = TSNE(n_components=2, perplexity=30, n_iter=1000, init='pca', learning_rate='auto', method=method, random_state=0)
    Y = m.fit_transform(X)
    out['runs'].append({'method': method, 'seconds': time.perf_counter() - t, 'cpu_seconds': time.process_time() - c, 'kl': float(m.kl_divergence_), 'map': Y.tolist()})
print(json.dumps(out))`;
const methods = exact ? ['barnes_hut', 'exact'] : ['barnes_hut'];
log(`running scikit-learn TSNE (${methods.join(', ')}) ...`);
const py = spawnSync(PYTHON, ['-c', script], {
  input: JSON.stringify({ x, motif: ourMap, methods }),
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});
if (py.status !== 0) {
  console.error(`scikit-learn run failed (is python3-sklearn installed at ${PYTHON}?):\n${py.stderr}`);
  process.exit(1);
}
const sk = JSON.parse(py.stdout);

// Check first: our trustworthiness must equal scikit-learn's on the same map.
const ourTrust = trustworthiness(x, ourMap, K);
if (Math.abs(ourTrust - sk.motif_trust) > 1e-9) {
  console.error(`trustworthiness disagrees with scikit-learn: motif ${ourTrust}, sklearn ${sk.motif_trust}`);
  process.exit(1);
}

const rows = [
  { method: 'motif exact', seconds: motifSeconds, cpu_seconds: motifCpu, kl: ours.kl, map: ourMap },
  ...sk.runs.map((r) => ({ ...r, method: `sklearn ${r.method}` })),
].map((r) => ({
  method: r.method,
  seconds: r.seconds,
  cpu_seconds: r.cpu_seconds,
  kl: r.kl,
  knn_kept: knnPreservation(x, r.map, K),
  trustworthiness: trustworthiness(x, r.map, K),
}));
const skBh = rows.find((r) => r.method === 'sklearn barnes_hut');

log(
  `\nCPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} threads), load ${loadavg()[0].toFixed(2)}; node ${process.version}, scikit-learn ${sk.version}`,
);
log('method               wall s    CPU s   CPU-time ratio vs sklearn BH   KL(P||Q)   10-NN kept   trustworthiness');
for (const r of rows) {
  log(
    `${r.method.padEnd(20)} ${r.seconds.toFixed(2).padStart(6)}   ${r.cpu_seconds.toFixed(2).padStart(6)}   ${(skBh.cpu_seconds / r.cpu_seconds).toFixed(2).padStart(27)}x   ${r.kl.toFixed(4).padStart(8)}   ${r.knn_kept.toFixed(3).padStart(10)}   ${r.trustworthiness.toFixed(4).padStart(15)}`,
  );
}
log(`(trustworthiness of motif's map: motif ${ourTrust.toFixed(6)} = scikit-learn ${sk.motif_trust.toFixed(6)})`);
if (json)
  console.log(
    JSON.stringify({
      points: x.length,
      dims: x[0].length,
      k: K,
      sklearn: sk.version,
      cpu: cpus()[0]?.model,
      results: rows,
    }),
  );
