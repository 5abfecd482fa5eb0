// Generation speed: tokens per second of the KV-cached native decoder (native/src/decoder.h) for the
// small preset (the shipped model) with one and eight streams and the paper preset with one, each as
// a share of its memory-bandwidth bound (bytes the step must read — weights once per step, plus each
// stream's KV cache — over this machine's measured read bandwidth), beside PyTorch's plain recompute
// of the same module (python/bench_torch.py --mode decode: the whole prefix per token, no cache) in
// the same run where /usr/bin/python3 has torch. First checks the cached logits against a full forward.
// Usage: npm run build && node bench/generate.mjs [--new 256] [--prefix 128] [--no-torch] [--json]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { native } from '../dist/model/native.js';
import { Transformer } from '../dist/model/transformer.js';
import { loadPreset } from '../dist/model/config.js';
import { loadRunModel } from '../dist/run/run-model.js';
import { generate } from '../dist/generate/generate.js';
import { cpuInfo } from './lib/hardware.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    new: { type: 'string', default: '256' },
    prefix: { type: 'string', default: '128' },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/generate.mjs [--new tokens per stream (256)] [--prefix prompt tokens (128)] [--no-torch] [--json]',
  );
  process.exit(0);
}
const NEW = Number(opts.new),
  PREFIX = Number(opts.prefix);
const log = (s) => {
  if (!opts.json) console.log(s);
};

function randomTokens(n, V, seed) {
  let s = seed >>> 0;
  return Int32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % (V - 4)) + 4);
}

/** Best-of-5 read bandwidth (GB/s) of a threaded reduction over 512 MB: what decoding at batch 1 is bound by. */
function readBandwidth() {
  const x = new Float32Array(128 << 20).fill(1);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    native.sumSquares(x, x.length);
    best = Math.max(best, x.byteLength / ((performance.now() - t) / 1000) / 1e9);
  }
  return best;
}

/** Bytes one decoding step reads: every weight matrix once (not the embedding tables: one row each), plus each stream's cache at the mean position. */
function bytesPerStep(c, streams, meanPosition) {
  const weights = c.nLayers * (4 * c.dModel * c.dModel + 2 * c.dModel * c.dFF) + c.vocabSize * c.dModel;
  const cache = streams * c.nLayers * 2 * meanPosition * c.dModel;
  return 4 * (weights + cache);
}

// ── check: cached logits equal the full forward ──────────────────────────────────────────────
const shipped = loadRunModel(join(ROOT, 'models/asap-small'));
{
  const m = shipped.model,
    T = 64,
    tokens = randomTokens(T, m.config.vocabSize, 1);
  const dec = m.decoder(1);
  dec.appendShared(tokens.subarray(0, 8));
  let logits;
  for (let t = 8; t < T; t++) logits = dec.append(tokens.subarray(t, t + 1), 1);
  const full = m.logits(tokens, 1, T, Int32Array.from([T - 1]));
  let worst = 0;
  for (let i = 0; i < full.length; i++)
    worst = Math.max(worst, Math.abs(full[i] - logits[i]) / (1 + Math.abs(full[i])));
  if (!(worst < 1e-5)) {
    console.error(`check failed: cached logits differ from the full forward by ${worst}`);
    process.exit(1);
  }
  log(`check: cached logits = full forward (worst relative difference ${worst.toExponential(1)})`);
}

// ── timings ───────────────────────────────────────────────────────────────────────────────────
function timeDecoder(model, streams) {
  const c = model.config,
    dec = model.decoder(streams);
  const n = Math.min(NEW, c.maxLen - PREFIX);
  dec.appendShared(randomTokens(PREFIX, c.vocabSize, 2));
  const step = randomTokens(streams * n, c.vocabSize, 3);
  const t0 = performance.now();
  for (let t = 0; t < n; t++) dec.append(step.subarray(t * streams, (t + 1) * streams), 1);
  const seconds = (performance.now() - t0) / 1000;
  return { tokensPerSecond: (streams * n) / seconds, steps: n, meanPosition: PREFIX + n / 2 };
}

function torchRecompute(config, streams) {
  if (opts['no-torch']) return null;
  const r = spawnSync(
    '/usr/bin/python3',
    [
      join(ROOT, 'python/bench_torch.py'),
      '--mode',
      'decode',
      '--config',
      JSON.stringify(config),
      '--batch',
      String(streams),
      '--seq',
      String(PREFIX),
      '--new',
      String(Math.min(32, NEW)),
      '--threads',
      String(native.threads()),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    log(`(PyTorch skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()).tokens_per_second;
}

const bandwidth = readBandwidth();
const paper = Transformer.create(loadPreset('paper').model, 0);
const rows = [];
for (const [name, model, streams] of [
  ['small (models/asap-small)', shipped.model, 1],
  ['small (models/asap-small)', shipped.model, 8],
  ['paper (random init)', paper, 1],
]) {
  const r = timeDecoder(model, streams);
  const bound = (streams * bandwidth * 1e9) / bytesPerStep(model.config, streams, r.meanPosition);
  const torch = torchRecompute(model.config, streams);
  rows.push({
    model: name,
    streams,
    tokens_per_s: Math.round(r.tokensPerSecond),
    bandwidth_bound_tokens_per_s: Math.round(bound),
    share_of_bound: +(r.tokensPerSecond / bound).toFixed(3),
    torch_recompute_tokens_per_s: torch === null ? null : +torch.toFixed(1),
    speedup_vs_torch: torch === null ? null : +(r.tokensPerSecond / torch).toFixed(1),
  });
}
// The whole generate() loop (mask of invalid ids, sampling) with the shipped tokenizer, from a prompt of random music ids.
for (const streams of [1, 8]) {
  const g = generate(shipped.model, shipped.tokenizer, { maxTokens: NEW, samples: streams, seed: 1 });
  rows.push({
    model: 'small, generate() with mask + sampling',
    streams,
    tokens_per_s: Math.round(g.tokensPerSecond),
    bandwidth_bound_tokens_per_s: null,
    share_of_bound: null,
    torch_recompute_tokens_per_s: null,
    speedup_vs_torch: null,
    repairs: g.samples.reduce((a, s) => a + s.repairs, 0),
  });
}

const result = {
  cpu: cpuInfo(),
  isa: native.isa(),
  threads: native.threads(),
  read_bandwidth_gb_s: +bandwidth.toFixed(1),
  prefix: PREFIX,
  new: NEW,
  rows,
};
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  log(
    `${result.cpu.model}, ${result.threads} threads, ${result.isa}; read bandwidth ${result.read_bandwidth_gb_s} GB/s; prompt ${PREFIX} tokens, ${NEW} new per stream`,
  );
  const cols = [
    'model',
    'streams',
    'tokens_per_s',
    'bandwidth_bound_tokens_per_s',
    'share_of_bound',
    'torch_recompute_tokens_per_s',
    'speedup_vs_torch',
  ];
  const table = [cols, ...rows.map((r) => cols.map((k) => (r[k] === null || r[k] === undefined ? '—' : String(r[k]))))];
  const widths = cols.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) log(r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  '));
}
