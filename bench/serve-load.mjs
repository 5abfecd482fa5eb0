// Load on the explorer (motif serve) over loopback: `motif serve` runs as its own process on a store;
// first every stored piece's GET /api/pieces/<id>/similar is checked against the store searched directly
// (same neighbours, same distances); then 1,000 (--requests) GET similar at concurrency 20, and 100
// POST /api/similar uploads (a 30-s excerpt of a stored piece, embedded by the model on each request) at
// concurrency 4, and as many passage uploads when the store keeps windows (match=window: a 15-s passage from
// inside a stored piece, which must find its piece first: its own performance at a window holding it, or
// another performance of the piece). Prints p50/p99 latency, throughput, errors, and the server's resident
// memory before and after (from /proc). Bounded: a fixed number of requests, nothing left running.
// Usage: npm run build && node bench/serve-load.mjs [--store runs/demo/store] [--requests 1000] [--uploads 100] [--json]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from '../dist/embed/store.js';
import { readMidi } from '../dist/midi/read.js';
import { applySustain } from '../dist/midi/sustain.js';
import { writeMidi } from '../dist/midi/write.js';
import { sliceNotes } from '../dist/analysis/excerpt.js';
import { cpuInfo } from './lib/hardware.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    store: { type: 'string', default: join(ROOT, 'runs', 'demo', 'store') },
    requests: { type: 'string', default: '1000' },
    uploads: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/serve-load.mjs [--store <dir> (runs/demo/store, made by npm start)] [--requests 1000] [--uploads 100] [--json]',
  );
  process.exit(0);
}
const log = (s) => {
  if (!opts.json) console.log(s);
};

const server = spawn(
  process.execPath,
  [join(ROOT, 'bin', 'motif.js'), 'serve', '--store', opts.store, '--port', '0', '--json'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const stopServer = () => server.kill('SIGINT');
process.on('exit', stopServer);
let out = '';
for await (const chunk of server.stdout) {
  out += chunk;
  if (out.includes('}')) break;
}
const { url } = JSON.parse(out);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;

// ── check: the server's neighbours are the store's ──────────────────────────────────────────
const store = await openStore(opts.store);
const rows = await store.all();
const similarUrl = (id) => `${url}api/pieces/${encodeURIComponent(id)}/similar?k=10`;
for (const row of rows) {
  const got = (await (await fetch(similarUrl(row.id))).json()).neighbours;
  const want = (await store.nearest(row.vector, 11)).filter((h) => h.row.id !== row.id).slice(0, 10);
  const same =
    got.length === want.length &&
    got.every((g, i) => g.id === want[i].row.id && Math.abs(g.distance - Math.max(0, want[i].distance)) < 1e-5);
  if (!same) throw new Error(`similar of ${row.id} differs from the store's own search`);
}
log(`checked: GET similar of all ${rows.length} pieces equals the store's own search`);

/** `total` requests made by `make(i)` at `concurrency`; latencies in ms, failures counted. */
async function load(total, concurrency, make) {
  const latencies = [];
  let next = 0,
    errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const res = await make(i);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    requests: total,
    concurrency,
    errors,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
    per_second: total / seconds,
    seconds,
  };
}

const rssBefore = rssMb();
const gets = await load(Number(opts.requests), 20, (i) => fetch(similarUrl(rows[i % rows.length].id)));
// Uploads: the first 30 s of each stored file, as a user would drop an excerpt.
const excerpts = rows.slice(0, 8).map((r) => writeMidi(sliceNotes(readMidi(readFileSync(r.file), r.id).notes, 0, 30)));
const posts = await load(Number(opts.uploads), 4, (i) =>
  fetch(`${url}api/similar?k=10`, {
    method: 'POST',
    headers: { 'content-type': 'audio/midi' },
    body: excerpts[i % excerpts.length],
  }),
);
// Passages: 15 s from 30 s into a stored piece, its pedal applied as the store read it (a passage written without
// its pedal plays shorter notes, and may be found elsewhere first: README); checked first (its piece first).
const long = rows.filter((r) => r.duration > 60).slice(0, 8);
const passages = long.map((r) =>
  writeMidi(sliceNotes(applySustain(readMidi(readFileSync(r.file), r.id), { rule: 'musical' }), 30, 45)),
);
const passageUrl = `${url}api/similar?k=10&match=window`;
const postPassage = (body) => fetch(passageUrl, { method: 'POST', headers: { 'content-type': 'audio/midi' }, body });
let windows = null;
if (store.info.windows && passages.length > 0) {
  for (const [i, r] of long.entries()) {
    const [first] = (await (await postPassage(passages[i])).json()).neighbours;
    // Its own performance, or another performance of its piece (the same notes), at a window that holds it.
    if (first.piece !== r.piece || (first.id === r.id && !(first.at >= 0 && first.at <= 45)))
      throw new Error(`the passage at 30-45 s of ${r.id} was found in ${first.id} at ${first.at} s`);
  }
  log(`checked: ${long.length} passages (30-45 s of a stored performance) find their piece first`);
  windows = await load(Number(opts.uploads), 4, (i) => postPassage(passages[i % passages.length]));
}
const rssAfter = rssMb();
stopServer();

const result = {
  cpu: cpuInfo().model,
  store: { pieces: rows.length, windows: store.info.windows ?? 0, dim: store.info.dim },
  get_similar: gets,
  post_similar: posts,
  post_similar_window: windows,
  rss_mb: { before: rssBefore, after: rssAfter },
};
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  log(
    `\nmotif serve on ${result.cpu}, store of ${rows.length} pieces, ${result.store.windows} windows (${store.info.dim}-d)\n`,
  );
  log('| requests | concurrency | errors | p50 ms | p99 ms | requests/s |');
  log('|---|---|---|---|---|---|');
  for (const [name, r] of [
    ['GET /api/pieces/<id>/similar', gets],
    ['POST /api/similar (30-s upload)', posts],
    ...(windows ? [['POST /api/similar?match=window (15-s passage)', windows]] : []),
  ]) {
    log(
      `| ${r.requests} × ${name} | ${r.concurrency} | ${r.errors} | ${r.p50_ms.toFixed(1)} | ${r.p99_ms.toFixed(1)} | ${r.per_second.toFixed(0)} |`,
    );
  }
  log(`\nserver resident memory: ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after`);
}
