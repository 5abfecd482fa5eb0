// Time per call of every layer kernel (SGEMM aside: bench/sgemm.mjs) at the paper preset's shapes —
// rows B·T = 4096, C 384, FFN 2048, NH 6, V 30000; attention at 8 × 512 and 1 × 2048 — for each ISA.
// Each ISA's attention and cross-entropy are first checked against the float64 reference on a small
// case. Times are the best of --reps calls (other processes only ever slow a run down); the cpu column
// is the process CPU time of the best call (all threads), which stays meaningful on a loaded machine.
// Attention is also given as a share of this ISA's FMA peak, measured in the same run.
// Usage: npm run build && node bench/kernels.mjs [--isa avx512,avx2] [--reps 5] [--json]
import { parseArgs } from 'node:util';
import { native } from '../dist/model/native.js';
import { kernels } from '../dist/model/kernels.js';
import * as ref from '../dist/model/reference-kernels.js';
import { cpuInfo, measurePeak } from './lib/hardware.mjs';

const { values: opts } = parseArgs({
  options: {
    isa: { type: 'string' },
    reps: { type: 'string', default: '5' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node bench/kernels.mjs [--isa list (all available)] [--reps n (5)] [--threads n] [--json]');
  process.exit(0);
}
if (opts.threads) native.setThreads(Number(opts.threads));
const reps = Number(opts.reps);
const isas = opts.isa ? opts.isa.split(',') : native.availableIsas().slice().reverse();
for (const isa of isas) if (!native.availableIsas().includes(isa)) throw new Error(`ISA ${isa} is not available here`);

function random(n, seed, lo = -1, hi = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return a;
}

function maxRelErr(actual, expected) {
  let worst = 0;
  for (let i = 0; i < actual.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1e-3 + Math.abs(expected[i])));
  return worst;
}

// Small cases against the reference, so a fast but wrong kernel never gets a number.
function check() {
  const [B, T, C, NH] = [2, 70, 128, 2];
  const qkv = random(B * T * 3 * C, 1, -2, 2);
  const out = new Float32Array(B * T * C),
    lse = new Float32Array(B * NH * T);
  kernels.attentionForward(out, lse, qkv, B, T, C, NH, 0.1, 5);
  const errAttn = maxRelErr(out, ref.attentionForward(qkv, B, T, C, NH, 0.1, 5).out);
  const [N, V] = [3, 30000];
  const logits = random(N * V, 2, -8, 8),
    targets = Int32Array.from([0, 17, 29999]);
  const expected = ref.crossentropyBackward(logits, targets, N, V, -1, 1);
  kernels.crossentropyForwardBackward(logits, null, targets, N, V, -1, 1);
  const errCe = maxRelErr(logits, expected);
  if (errAttn > 1e-3 || errCe > 1e-3)
    throw new Error(
      `${native.isa()}: kernels disagree with the reference (attention ${errAttn}, cross-entropy ${errCe})`,
    );
}

function best(fn) {
  fn();
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    ms = Math.min(ms, performance.now() - t);
    const used = process.cpuUsage(c);
    cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000);
  }
  return { ms, cpuMs };
}

const N = 4096,
  C = 384,
  F = 2048,
  NH = 6,
  V = 30000,
  P = 25_000_000,
  p = 0.1;
const buf = {
  x: random(N * C, 3),
  y: new Float32Array(N * C),
  dx: new Float32Array(N * C),
  w: random(C, 4),
  b: random(C, 5),
  mean: new Float32Array(N),
  rstd: new Float32Array(N),
  h: random(N * F, 6, -3, 3),
  hy: new Float32Array(N * F),
  hdx: new Float32Array(N * F),
  wte: random(V * C, 7),
  dwte: new Float32Array(V * C),
  wpe: random(2048 * C, 8),
  dwpe: new Float32Array(2048 * C),
  tokens: Int32Array.from({ length: N }, (_, i) => (i * 7919) % V),
  targets: Int32Array.from({ length: N }, (_, i) => (i * 104729) % V),
  logits: random(N * V, 9, -5, 5),
  mask: Uint8Array.from({ length: N }, (_, i) => (i % 512 < 400 ? 1 : 0)),
  pw: random(P, 10),
  pg: random(P, 11, -1e-3, 1e-3),
  pm: new Float32Array(P),
  pv: new Float32Array(P),
};
const attnShapes = [
  [8, 512],
  [1, 2048],
].map(([B, T]) => ({
  B,
  T,
  qkv: random(B * T * 3 * C, 12),
  out: new Float32Array(B * T * C),
  lse: new Float32Array(B * NH * T),
  dout: random(B * T * C, 13),
  dqkv: new Float32Array(B * T * 3 * C),
}));

// [name, bytes moved or flops, unit, fn]: the rate column is GB/s for memory-bound kernels, GFLOP/s for attention.
function cases() {
  const GB = (floats) => ['GB/s', floats * 4];
  const list = [
    ['embedding fwd', ...GB(3 * N * C), () => kernels.embeddingForward(buf.y, buf.tokens, buf.wte, buf.wpe, 8, 512, C)],
    [
      'embedding bwd',
      ...GB(3 * N * C),
      () => kernels.embeddingBackward(buf.dwte, buf.dwpe, buf.x, buf.tokens, 8, 512, C),
    ],
    [
      'layernorm fwd',
      ...GB(2 * N * C),
      () => kernels.layernormForward(buf.y, buf.mean, buf.rstd, buf.x, buf.w, buf.b, N, C),
    ],
    [
      'layernorm bwd',
      ...GB(4 * N * C),
      () => kernels.layernormBackward(buf.dx, null, null, buf.y, buf.x, buf.w, buf.mean, buf.rstd, N, C),
    ],
    [
      'layernorm bwd +dw,db',
      ...GB(4 * N * C),
      () => kernels.layernormBackward(buf.dx, buf.w, buf.b, buf.y, buf.x, buf.w, buf.mean, buf.rstd, N, C),
    ],
    ['relu fwd (N×F)', ...GB(2 * N * F), () => kernels.reluForward(buf.hy, buf.h)],
    ['relu bwd', ...GB(4 * N * F), () => kernels.reluBackward(buf.hdx, buf.hy, buf.h)],
    ['gelu fwd (N×F)', ...GB(2 * N * F), () => kernels.geluForward(buf.hy, buf.h)],
    ['gelu bwd', ...GB(4 * N * F), () => kernels.geluBackward(buf.hdx, buf.hy, buf.h)],
    ['dropout fwd (N×F)', ...GB(2 * N * F), () => kernels.dropoutForward(buf.hy, buf.h, p, 1)],
    ['dropout bwd', ...GB(3 * N * F), () => kernels.dropoutBackward(buf.hdx, buf.hy, p, 1)],
    ['dropout fwd (N×C)', ...GB(2 * N * C), () => kernels.dropoutForward(buf.y, buf.x, p, 1)],
  ];
  for (const a of attnShapes) {
    const flops = (4 * a.B * a.T * a.T * C) / 2; // QKᵀ and PV over the causal half
    for (const dp of [0, p]) {
      list.push([
        `attention fwd ${a.B}×${a.T} p=${dp}`,
        'GFLOP/s',
        flops,
        () => kernels.attentionForward(a.out, a.lse, a.qkv, a.B, a.T, C, NH, dp, 1),
      ]);
      list.push([
        `attention bwd ${a.B}×${a.T} p=${dp}`,
        'GFLOP/s',
        2.5 * flops,
        () => kernels.attentionBackward(a.dqkv, a.dout, a.qkv, a.out, a.lse, a.B, a.T, C, NH, dp, 1),
      ]);
    }
  }
  list.push(
    [
      'cross-entropy fwd (N×V)',
      ...GB(N * V),
      () => kernels.crossentropyForward(null, buf.logits, buf.targets, N, V, -1),
    ],
    [
      'cross-entropy fwd+bwd',
      ...GB(3 * N * V),
      () => kernels.crossentropyForwardBackward(buf.logits, null, buf.targets, N, V, -1, 1 / N),
    ],
    [
      'meanpool fwd',
      ...GB(N * C),
      () => kernels.meanpoolForward(buf.dx.subarray(0, 8 * C), buf.x, buf.mask, 8, 512, C),
    ],
    [
      'meanpool bwd',
      ...GB(2 * N * C),
      () => kernels.meanpoolBackward(buf.dx, buf.y.subarray(0, 8 * C), buf.mask, 8, 512, C),
    ],
    ['sum_squares (25M)', ...GB(P), () => kernels.sumSquares(buf.pg)],
    [
      'adamw (25M)',
      ...GB(7 * P),
      () => kernels.adamwUpdate(buf.pw, buf.pg, buf.pm, buf.pv, 3e-4, 0.9, 0.95, 1e-8, 0.1, 1),
    ],
  );
  return list;
}

const results = {};
const info = cpuInfo();
console.log(`${info.model}, ${info.threads} threads; best of ${reps}`);
for (const isa of isas) {
  native.setIsa(isa);
  check();
  const peak = measurePeak({ isa });
  results[isa] = { peak_gflops: +peak.gflops.toFixed(1), cpu_peak_gflops: +peak.cpuGflops.toFixed(1), kernels: {} };
  console.log(`\n${isa}: FMA peak ${peak.gflops.toFixed(0)} GFLOP/s (${peak.cpuGflops.toFixed(0)} counting CPU time)`);
  console.log(
    `${'kernel'.padEnd(30)}${'ms'.padStart(10)}${'cpu ms'.padStart(10)}${'rate'.padStart(16)}${'% peak'.padStart(9)}`,
  );
  for (const [name, unit, amount, fn] of cases()) {
    const { ms, cpuMs } = best(fn);
    const rate = amount / ms / 1e6;
    const row = {
      ms: +ms.toFixed(3),
      cpu_ms: +cpuMs.toFixed(3),
      [unit === 'GB/s' ? 'gb_s' : 'gflop_s']: +rate.toFixed(1),
    };
    // Share of peak from CPU time, so that other processes on the machine do not count against the kernel.
    const share = unit === 'GFLOP/s' ? (100 * (amount / (cpuMs * 1e6)) * native.threads()) / peak.cpuGflops : null;
    if (share !== null) row.peak_pct = +share.toFixed(1);
    results[isa].kernels[name] = row;
    console.log(
      `${name.padEnd(30)}${ms.toFixed(2).padStart(10)}${cpuMs.toFixed(2).padStart(10)}${`${rate.toFixed(1)} ${unit}`.padStart(16)}${(share === null ? '' : share.toFixed(0)).padStart(9)}`,
    );
  }
}
if (opts.json)
  console.log(JSON.stringify({ cpu: info.model, threads: info.threads, reps, node: process.version, results }));
