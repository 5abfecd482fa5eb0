// Benchmark: `motif tokenizer train` and `motif tokenize` on corpora of k× ASAP (k = 1, 10, 100 by default), run as a
// user runs them (bin/motif.js, child processes), with each run's wall time and peak RSS (worker threads included:
// they share the process). A k× corpus is every ASAP performance in k variants (variant v: a transposition and a tempo
// stretch, real MIDI files written by motif's writer), generated once outside the repo and reused; split by piece, so
// the variants of a piece share its split. Checks first: each tokenize index covers every file of its corpus, and no
// run's peak RSS exceeds --max-rss-gb (exit 1 otherwise). Not a speed comparison with a peer: the ratio is to 1×.
// Usage: npm run build && nice -n 15 node bench/scale-data.mjs [--scales 1,10,100] [--dir DIR] [--data ASAP] [--json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDataset } from '../dist/data/dataset.js';
import { augmentNotes } from '../dist/data/augment.js';
import { readMidi } from '../dist/midi/read.js';
import { writeMidi } from '../dist/midi/write.js';
import { formatTable } from './lib/table.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'motif.js');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'asap') },
    dir: { type: 'string', default: join(tmpdir(), 'motif-scale-data') },
    scales: { type: 'string', default: '1,10,100' },
    vocab: { type: 'string', default: '30000' },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    'max-rss-gb': { type: 'string', default: '4' },
    'generate-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
// Variant v of a file: transposed by SHIFTS[v % 12] semitones (shortened where the piece would leave the keyboard, as
// training augmentation does), its times scaled by STRETCHES[⌊v / 12⌋]. Variant 0 is the file as motif reads it.
const SHIFTS = [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6];
const STRETCHES = [1, 0.96, 1.04, 0.92, 1.08, 0.88, 1.12, 0.84, 1.16];
const VARIANTS_MAX = SHIFTS.length * STRETCHES.length;
const scales = args.scales.split(',').map(Number);
if (!scales.every((k) => Number.isInteger(k) && k >= 1 && k <= VARIANTS_MAX)) {
  console.error(`--scales: integers in 1..${VARIANTS_MAX}, got ${args.scales}`);
  process.exit(1);
}
const log = (s) => void (args.json ? undefined : process.stderr.write(`${s}\n`));
const corpusDir = join(args.dir, 'corpus');

const variantId = (id, v) => id.replace(/\.midi?$/i, `-v${String(v).padStart(3, '0')}.mid`);

/** Writes the missing variants 0..k-1 of every performance, and one metadata CSV per scale; returns the CSV paths. */
function generate(maxScale) {
  const items = openDataset(args.data).items;
  let written = 0;
  const t0 = performance.now();
  for (const [n, item] of items.entries()) {
    const missing = [];
    for (let v = 0; v < maxScale; v++) if (!existsSync(join(corpusDir, variantId(item.id, v)))) missing.push(v);
    if (missing.length === 0) continue;
    const perf = readMidi(readFileSync(item.path), item.id);
    for (const v of missing) {
      const stretch = STRETCHES[Math.floor(v / SHIFTS.length)];
      const notes = augmentNotes(perf.notes, { transpose: SHIFTS[v % SHIFTS.length], stretch, velocity: 0 });
      const pedal = perf.pedal.map((p) => ({ time: p.time * stretch, value: p.value }));
      const path = join(corpusDir, variantId(item.id, v));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, writeMidi(notes, { pedal })); // renamed: a killed run leaves no half file behind
      renameSync(`${path}.tmp`, path);
      written++;
    }
    if (n % 100 === 99) log(`  generated variants of ${n + 1}/${items.length} performances`);
  }
  if (written > 0) log(`wrote ${written} files in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const quote = (s) => (s === undefined ? '' : /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const csvs = {};
  for (const k of scales) {
    const lines = ['composer,title,folder,midi_performance,split'];
    for (const item of items)
      for (let v = 0; v < k; v++)
        lines.push([item.composer, item.title, item.piece, variantId(item.id, v), item.split].map(quote).join(','));
    csvs[k] = join(corpusDir, `scale-${k}.csv`);
    writeFileSync(csvs[k], `${lines.join('\n')}\n`);
  }
  return { csvs, performances: items.length };
}

const haveTime = existsSync('/usr/bin/time');
// Without GNU time, the child reports its own peak RSS as it exits (resource usage of the process: every thread).
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nMOTIF_PEAK '+process.resourceUsage().maxRSS+'\\n'))`;

/** Runs one motif verb with --json; its summary, wall seconds and peak RSS in bytes. */
function timed(verb) {
  const [cmd, argv] = haveTime
    ? ['/usr/bin/time', ['-f', 'MOTIF_PEAK %M', process.execPath, BIN, ...verb, '--json']]
    : [process.execPath, ['--import', RSS_HOOK, BIN, ...verb, '--json']];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`motif ${verb.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  const peak = /MOTIF_PEAK (\d+)/.exec(r.stderr);
  if (!peak) throw new Error(`no peak RSS reported for motif ${verb[0]}:\n${r.stderr.slice(-2000)}`);
  return { summary: JSON.parse(r.stdout), seconds, peakRss: Number(peak[1]) * 1024 };
}

const maxRss = Number(args['max-rss-gb']) * 2 ** 30;
log(`corpora under ${corpusDir} (variants 0..${Math.max(...scales) - 1} of each performance)`);
const { csvs, performances } = generate(Math.max(...scales));
if (args['generate-only']) process.exit(0);

const results = [];
let failed = false;
for (const k of scales) {
  const out = join(args.dir, 'runs', String(k));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tok = join(out, 'tokenizer.json');
  const shards = join(out, 'shards');
  const common = ['--workers', args.workers];
  log(`${k}×: motif tokenizer train...`);
  const train = timed(['tokenizer', 'train', csvs[k], '--vocab-size', args.vocab, '--out', tok, ...common]);
  log(`${k}×: motif tokenize...`);
  const tokenize = timed(['tokenize', csvs[k], '--tokenizer', tok, '--out', shards, ...common]);
  // Check: the index covers every file of the corpus, once, and says it is complete.
  const index = JSON.parse(readFileSync(join(shards, 'index.json'), 'utf8'));
  const files = performances * k;
  const covered = new Set([...index.pieces, ...index.failures].map((p) => p.id));
  if (!index.complete || covered.size !== files || index.pieces.length + index.failures.length !== files) {
    console.error(`FAIL: ${k}×: the index covers ${covered.size} of ${files} files (complete: ${index.complete})`);
    failed = true;
  }
  for (const [verb, run] of [
    ['tokenizer train', train],
    ['tokenize', tokenize],
  ])
    if (run.peakRss > maxRss) {
      console.error(
        `FAIL: ${k}×: ${verb} peaked at ${(run.peakRss / 2 ** 30).toFixed(2)} GB RSS, over ${args['max-rss-gb']} GB`,
      );
      failed = true;
    }
  rmSync(shards, { recursive: true, force: true }); // checked; several GB at 100×
  const s = train.summary;
  results.push({
    scale: k,
    files,
    failed: index.failures.length,
    notes: tokenize.summary.notes,
    tokens: tokenize.summary.tokens,
    train_files: s.files,
    train_notes: s.notes,
    train_base_tokens: s.baseTokens,
    bpe_base_tokens: s.sample?.baseTokens ?? s.baseTokens,
    train_seconds: train.seconds,
    train_peak_rss: train.peakRss,
    tokenize_seconds: tokenize.seconds,
    tokenize_peak_rss: tokenize.peakRss,
    tokenize_notes_per_second: tokenize.summary.notes / tokenize.seconds,
    train_notes_per_second: s.notes / train.seconds,
  });
  log(
    `${k}×: train ${train.seconds.toFixed(1)} s, ${(train.peakRss / 2 ** 20).toFixed(0)} MB; tokenize ${tokenize.seconds.toFixed(1)} s, ${(tokenize.peakRss / 2 ** 20).toFixed(0)} MB`,
  );
}

const base = results[0];
for (const r of results) {
  r.tokenize_linearity = r.tokenize_notes_per_second / base.tokenize_notes_per_second;
  r.train_linearity = r.train_notes_per_second / base.train_notes_per_second;
}
const hardware = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version };
if (args.json)
  console.log(JSON.stringify({ results, hardware, workers: Number(args.workers), load_average: loadavg()[0] }));
else {
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const m = (n) => `${(n / 1e6).toFixed(1)} M`;
  console.log(
    `scale-data benchmark: ${hardware.cpu}, ${hardware.cores} cores, Node ${hardware.node}, ${args.workers} workers, load average ${loadavg()[0].toFixed(1)}`,
  );
  const rows = results.map((r) => [
    `${r.scale}×`,
    String(r.files),
    m(r.notes),
    m(r.train_base_tokens),
    m(r.bpe_base_tokens),
    r.train_seconds.toFixed(1),
    mb(r.train_peak_rss),
    r.tokenize_seconds.toFixed(1),
    mb(r.tokenize_peak_rss),
    `${(r.tokenize_notes_per_second / 1e6).toFixed(2)} M`,
    r.tokenize_linearity.toFixed(2),
    r.train_linearity.toFixed(2),
  ]);
  const header = [
    'scale',
    'files',
    'notes',
    'train base tok',
    'BPE on',
    'train s',
    'train MB',
    'tokenize s',
    'tokenize MB',
    'notes/s',
    'vs 1×',
    'train vs 1×',
  ];
  for (const line of formatTable(header, rows)) console.log(line);
}
process.exit(failed ? 1 : 0);
