// Benchmark: BPE training on the ASAP train split (MIDI → notes → sustain (musical rule) → base ids → BPE).
// Checks the merges against Hugging Face's own Rust trainer (npm `tokenizers`, when installed) on the same
// training text and prints both times; then reports memory, tokens per note and the compression BPE gives.
// Usage: npm run build && node bench/bpe-train.mjs [--data ../shared/data/asap] [--vocab-size 30000] [--json]
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readMidi } from '../dist/midi/read.js';
import { applySustain } from '../dist/midi/sustain.js';
import { openDataset, selectSplit } from '../dist/data/dataset.js';
import { createScheme } from '../dist/tokenizer/schemes.js';
import { MidiTokenizer } from '../dist/tokenizer/midi-tokenizer.js';
import { baseIdsToText } from '../dist/tokenizer/bpe.js';

const opts = new Command()
  .description(
    'Time BPE training to a target vocabulary on a dataset split, and compare with Hugging Face tokenizers (Rust).',
  )
  .option('--data <path>', 'dataset (folder or metadata.csv)', '../shared/data/asap')
  .option('--split <name>', 'split to train on', 'train')
  .option('--vocab-size <n>', 'target vocabulary', (v) => Number(v), 30000)
  .option('--scheme <name>', 'base scheme', 'exptime')
  .option('--no-hf', 'skip the Hugging Face Rust trainer')
  .option('--json', 'print one JSON object as the last line')
  .addOption(new Option('--hf-child <dir>', 'internal: run the Hugging Face trainer on <dir>').hideHelp())
  .parse()
  .opts();

const cpuSeconds = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

if (opts.hfChild) {
  // Child mode: train Hugging Face's BPE on dir/corpus.txt, save dir/hf.json, print its time and memory.
  const { Tokenizer } = createRequire(import.meta.url)('tokenizers');
  const tok = Tokenizer.fromString(readFileSync(join(opts.hfChild, 'empty.json'), 'utf8'));
  const t = performance.now();
  const c = process.cpuUsage();
  tok.train([join(opts.hfChild, 'corpus.txt')]);
  const seconds = (performance.now() - t) / 1000;
  const cpu = cpuSeconds(c); // all of the process's threads: the binding trains with rayon
  tok.save(join(opts.hfChild, 'hf.json'));
  console.log(JSON.stringify({ seconds, cpu, peakRss: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

const scheme = createScheme(opts.scheme);
const items = selectSplit(openDataset(opts.data), opts.split);
const pieces = [];
let notes = 0;
let failed = 0;
const t0 = performance.now();
for (const item of items) {
  try {
    const perf = readMidi(readFileSync(item.path), item.path);
    const n = applySustain(perf);
    notes += n.length;
    pieces.push(scheme.encode(n));
  } catch (e) {
    failed++;
    console.error(`skipped ${item.path}: ${e.message}`);
  }
}
const readSeconds = (performance.now() - t0) / 1000;
if (pieces.length === 0) {
  console.error(`no readable MIDI files in ${opts.data} split=${opts.split}`);
  process.exit(1);
}

// JS memory = V8 heap + ArrayBuffers (the trainer's typed arrays live outside the V8 heap).
let peakHeap = 0;
const sampleHeap = () => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
};
sampleHeap();
const jsBefore = peakHeap;
const rssBefore = process.memoryUsage().rss;
let stats;
const t1 = performance.now();
const c1 = process.cpuUsage();
const tokenizer = MidiTokenizer.trainOnIds(scheme, pieces, {
  vocabSize: opts.vocabSize,
  onProgress: sampleHeap,
  onStats: (s) => (stats = s),
});
const trainSeconds = (performance.now() - t1) / 1000;
const trainCpu = cpuSeconds(c1);
sampleHeap();
const peakRss = process.resourceUsage().maxRSS * 1024;

const t2 = performance.now();
const c2 = process.cpuUsage();
let bpeTokens = 0;
for (const p of pieces) bpeTokens += tokenizer.bpe.encode(p).length;
const encodeSeconds = (performance.now() - t2) / 1000;
const encodeCpu = cpuSeconds(c2);
const baseTokens = stats.baseTokens;

// The peer: Hugging Face's Rust BpeTrainer on the same text (its defaults: no specials, no length limit),
// in a child process so that its memory is measured apart from motif's.
let hf;
if (opts.hf) {
  const dir = mkdtempSync(join(tmpdir(), 'motif-bench-bpe-'));
  try {
    writeFileSync(join(dir, 'corpus.txt'), pieces.map(baseIdsToText).join('\n') + '\n');
    // Same pre-tokenizer, an empty model: the binding's train() then uses BpeTrainer's defaults.
    const json = tokenizer.toJSON();
    const empty = {
      ...json,
      added_tokens: [],
      decoder: null,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab: {},
        merges: [],
      },
    };
    writeFileSync(join(dir, 'empty.json'), JSON.stringify(empty));
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--hf-child', dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (child.status !== 0) throw new Error(child.stderr.trim().split('\n').pop() ?? `exit ${child.status}`);
    const run = JSON.parse(child.stdout.trim().split('\n').pop());
    const hfMerges = JSON.parse(readFileSync(join(dir, 'hf.json'), 'utf8')).model.merges.map((m) =>
      Array.isArray(m) ? m.join(' ') : m,
    );
    const mine = json.model.merges.map((m) => m.join(' '));
    const n = Math.min(mine.length, hfMerges.length);
    let same = 0;
    while (same < n && mine[same] === hfMerges[same]) same++;
    hf = { ...run, merges: hfMerges.length, sameLeadingMerges: same, compared: n };
  } catch (e) {
    console.error(`Hugging Face tokenizers (Rust) not run: ${e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (b) => (b / 2 ** 20).toFixed(0);
const rows = [
  ['files (failed)', `${pieces.length} (${failed})`],
  ['notes', notes],
  ['base tokens', baseTokens],
  ['chunks of 128', stats.chunks],
  ['distinct words', stats.distinctWords],
  ['vocabulary', tokenizer.vocabSize],
  ['read + sustain + base-encode s', readSeconds.toFixed(2)],
  ['train s (wall)', trainSeconds.toFixed(2)],
  ['train s (CPU, one thread)', trainCpu.toFixed(2)],
  ['peak RSS MiB (process)', mb(peakRss)],
  ['RSS before training MiB', mb(rssBefore)],
  ['peak JS memory MiB (heap + buffers)', `${mb(peakHeap)} (${mb(jsBefore)} before training)`],
  ['BPE encode s (wall / CPU)', `${encodeSeconds.toFixed(2)} / ${encodeCpu.toFixed(2)}`],
  ['base tokens per note', (baseTokens / notes).toFixed(3)],
  ['BPE tokens per note', (bpeTokens / notes).toFixed(3)],
  ['compression (base/BPE)', (baseTokens / bpeTokens).toFixed(3)],
];
if (hf) {
  rows.push(['HF Rust train s (wall, all cores)', hf.seconds.toFixed(2)]);
  rows.push(['HF Rust train s (CPU, all threads)', hf.cpu.toFixed(2)]);
  rows.push(['HF Rust peak RSS MiB (own process)', mb(hf.peakRss)]);
  rows.push(['speed ratio (HF / motif, CPU)', (hf.cpu / trainCpu).toFixed(2)]);
  rows.push(['merges identical to HF', `${hf.sameLeadingMerges} of ${hf.compared}`]);
}
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`BPE training, ${opts.data} split=${opts.split}, ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
if (opts.json) {
  console.log(
    JSON.stringify({
      files: pieces.length,
      failed,
      notes,
      base_tokens: baseTokens,
      chunks: stats.chunks,
      distinct_words: stats.distinctWords,
      vocab_size: tokenizer.vocabSize,
      seconds: trainSeconds,
      cpu_seconds: trainCpu,
      encode_seconds: encodeSeconds,
      peak_rss_bytes: peakRss,
      peak_js_bytes: peakHeap,
      bpe_tokens: bpeTokens,
      tokens_per_note: baseTokens / notes,
      bpe_tokens_per_note: bpeTokens / notes,
      compression: baseTokens / bpeTokens,
      hf_seconds: hf?.seconds ?? null,
      hf_cpu_seconds: hf?.cpu ?? null,
      hf_peak_rss_bytes: hf?.peakRss ?? null,
      hf_same_leading_merges: hf?.sameLeadingMerges ?? null,
      hf_compared_merges: hf?.compared ?? null,
    }),
  );
}
