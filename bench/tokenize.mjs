// Benchmark: the whole ASAP corpus, MIDI → notes (sustain applied) → BPE ids on every core (worker pool),
// against @tonejs/midi only parsing the same files in the same run; plus tokens per note and BPE compression.
// Checks first that the pooled ids equal a single-thread run on a sample, then times. Runs the compiled dist/
// (`npm run bench:tokenize` builds first). Usage: node bench/tokenize.mjs [--data DIR] [--tokenizer FILE] [--vocab N] [--workers N] [--json]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import tonejs from '@tonejs/midi';
import { openDataset, selectSplit } from '../dist/data/dataset.js';
import { encodeItems } from '../dist/data/encode.js';
import { trainTokenizer } from '../dist/data/train-tokenizer.js';
import { parseTokenizer, readTokenizer } from '../dist/data/tokenizer-file.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'asap') },
    tokenizer: { type: 'string' },
    vocab: { type: 'string', default: '30000' },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    json: { type: 'boolean', default: false },
    'tonejs-only': { type: 'boolean', default: false },
  },
});
const workers = Number(args.workers);
const sustain = 'musical';
const log = (s) => void (args.json ? undefined : process.stderr.write(`${s}\n`));
const seconds = (t0) => (performance.now() - t0) / 1000;
// CPU seconds of the whole process (all threads, so workers included): on a busy machine wall time stretches, this does not.
const cpuSeconds = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

// Every MIDI file of the corpus (performances and scores: "the whole corpus"), and the train split for the tokenizer.
const corpus = openDataset(args.data, { ignoreMetadata: true }).items;
const trainItems = selectSplit(openDataset(args.data), 'train');

// Timed in a child process of this script, so its heap neither slows nor is slowed by ours, and the peak memory
// printed for tokenizer training is training's alone: @tonejs/midi parsing the same files, one thread (it has no
// pool), file reading included as for motif.
if (args['tonejs-only']) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let notes = 0;
  let failed = 0;
  for (const item of corpus) {
    try {
      const midi = new tonejs.Midi(readFileSync(item.path));
      for (const track of midi.tracks) notes += track.notes.length;
    } catch {
      failed++;
    }
  }
  console.log(JSON.stringify({ seconds: seconds(t0), cpu: cpuSeconds(c0), notes, failed }));
  process.exit(0);
}
log(`parsing ${corpus.length} files with @tonejs/midi...`);
const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--tonejs-only', '--data', args.data], {
  encoding: 'utf8',
  maxBuffer: 1 << 20,
});
if (child.status !== 0) {
  console.error(`FAIL: the @tonejs/midi run failed:\n${child.stderr}`);
  process.exit(1);
}
const tonejsRun = JSON.parse(child.stdout);
let t0;
let c0;

let tokenizerText;
let training = null;
if (args.tokenizer) {
  tokenizerText = readTokenizer(args.tokenizer).text;
} else {
  log(`training a ${args.vocab}-token tokenizer on ${trainItems.length} train performances...`);
  t0 = performance.now();
  c0 = process.cpuUsage();
  const r = await trainTokenizer(trainItems, { vocabSize: Number(args.vocab), scheme: 'exptime', sustain, workers });
  training = {
    seconds: seconds(t0),
    cpu_seconds: cpuSeconds(c0),
    encode_seconds: r.encodeSeconds,
    bpe_seconds: r.trainSeconds,
    files: r.files,
    base_tokens: r.baseTokens,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  tokenizerText = JSON.stringify(r.tokenizer.toJSON());
}
const spec = { tokenizerJson: tokenizerText, sustain };

async function runAll(items, s, w) {
  let notes = 0;
  let tokens = 0;
  let failed = 0;
  const ids = [];
  for await (const r of encodeItems(items, s, { workers: w })) {
    if (!r.ok) {
      failed++;
      continue;
    }
    notes += r.notes;
    tokens += r.ids.length;
    ids.push(r.ids);
  }
  return { notes, tokens, failed, ids };
}

// Check: the pool gives exactly what one thread gives, on a sample spread over the corpus.
const sample = corpus.filter((_, i) => i % 37 === 0);
const [pooled, single] = [await runAll(sample, spec, workers), await runAll(sample, spec, 0)];
const same =
  pooled.ids.length === single.ids.length &&
  pooled.ids.every((a, i) => a.length === single.ids[i].length && a.every((v, k) => v === single.ids[i][k]));
if (!same) {
  console.error('FAIL: pooled ids differ from single-thread ids');
  process.exit(1);
}
log(`check: ${sample.length} sample files, pooled ids == single-thread ids`);

// Timed: motif, whole corpus, BPE ids (worker startup included).
t0 = performance.now();
c0 = process.cpuUsage();
const bpe = await runAll(corpus, spec, workers);
const motifSeconds = seconds(t0);
const motifCpu = cpuSeconds(c0);

// Base tokens of the same files, for tokens per note and compression (timed separately, not part of the ratio).
t0 = performance.now();
const base = await runAll(corpus, { scheme: 'exptime', sustain }, workers);
const baseSeconds = seconds(t0);

const result = {
  files: corpus.length,
  failed: bpe.failed,
  notes: bpe.notes,
  tokens: bpe.tokens,
  base_tokens: base.tokens,
  seconds: motifSeconds,
  tonejs_parse_seconds: tonejsRun.seconds,
  ratio: tonejsRun.seconds / motifSeconds,
  cpu_seconds: motifCpu,
  tonejs_cpu_seconds: tonejsRun.cpu,
  load_average: loadavg()[0],
  base_seconds: baseSeconds,
  tokens_per_note: bpe.tokens / bpe.notes,
  base_tokens_per_note: base.tokens / base.notes,
  bpe_compression: base.tokens / bpe.tokens,
  vocab_size: parseTokenizer(tokenizerText, 'tokenizer.json').vocabSize,
  workers,
  tonejs_notes: tonejsRun.notes,
  tonejs_failed: tonejsRun.failed,
  tokenizer_training: training,
  hardware: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version },
};

if (args.json) console.log(JSON.stringify(result));
else {
  const rows = [
    ['files', result.files],
    ['notes (sustain applied)', result.notes],
    ['motif MIDI → BPE ids, s', result.seconds.toFixed(3)],
    ['@tonejs/midi parse only, s', result.tonejs_parse_seconds.toFixed(3)],
    ['ratio (tonejs / motif)', `${result.ratio.toFixed(2)}×`],
    [
      'CPU s, motif (all threads) / tonejs',
      `${result.cpu_seconds.toFixed(2)} / ${result.tonejs_cpu_seconds.toFixed(2)}`,
    ],
    ['motif MIDI → base ids, s', result.base_seconds.toFixed(3)],
    ['base tokens per note', result.base_tokens_per_note.toFixed(3)],
    ['BPE tokens per note', result.tokens_per_note.toFixed(3)],
    ['BPE compression', `${result.bpe_compression.toFixed(2)}×`],
  ];
  if (training)
    rows.push(
      ['tokenizer training (train split), s', training.seconds.toFixed(2)],
      ['  of which BPE merges, s', training.bpe_seconds.toFixed(2)],
      ['peak RSS, MB', training.peak_rss_mb.toFixed(0)],
    );
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `tokenize benchmark — ${result.hardware.cpu}, ${result.hardware.cores} cores, Node ${result.hardware.node}, ${workers} workers, load average ${result.load_average.toFixed(1)}`,
  );
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}
