// SGEMM speed at the paper preset's matmul shapes (C 384, F 2048, V 30000; rows B·T), per ISA,
// against this machine's measured FMA peak and, where /usr/bin/python3 has torch, against torch.mm
// on the same threads in the same run. Each result is checked against a float64 dot product first.
// Usage: npm run build && node bench/sgemm.mjs [--rows 4096] [--isa avx512,avx2] [--quick] [--json]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { native } from '../dist/model/native.js';
import { bestRates, cpuInfo, measurePeak } from './lib/hardware.mjs';
import { TORCH_MM_LOOP, modelShapes, overallGflops, randomMatrix } from './lib/gemm-shapes.mjs';
import { formatTable } from './lib/table.mjs';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '4096' },
    isa: { type: 'string' },
    threads: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/sgemm.mjs [--rows N=B·T (4096)] [--isa list (all available)] [--threads n] [--quick] [--json]',
  );
  process.exit(0);
}
if (opts.threads) native.setThreads(Number(opts.threads));
const threads = native.threads();
const R = Number(opts.rows);
const isas = opts.isa ? opts.isa.split(',') : native.availableIsas().slice().reverse();
for (const isa of isas) if (!native.availableIsas().includes(isa)) throw new Error(`ISA ${isa} is not available here`);

const shapes = modelShapes(R);

function operands(s) {
  const A = randomMatrix(s.M * s.K, 1);
  const B = randomMatrix(s.K * s.N, 2);
  const C = new Float32Array(s.M * s.N);
  const lda = s.transA ? s.M : s.K;
  const ldb = s.transB ? s.K : s.N;
  return { A, B, C, lda, ldb };
}

/** Checks 64 entries of C against float64 dot products; throws on a wrong result. */
function verify(s, { A, B, C, lda, ldb }, isa) {
  for (let t = 0; t < 64; t++) {
    const i = (t * 7919) % s.M;
    const j = (t * 104729) % s.N;
    let ref = 0;
    let mag = 0;
    for (let k = 0; k < s.K; k++) {
      const p = (s.transA ? A[k * lda + i] : A[i * lda + k]) * (s.transB ? B[j * ldb + k] : B[k * ldb + j]);
      ref += p;
      mag += Math.abs(p);
    }
    if (Math.abs(C[i * s.N + j] - ref) > 1e-5 * mag + 1e-6)
      throw new Error(`${isa} ${s.name}: C[${i},${j}] = ${C[i * s.N + j]}, expected ${ref}`);
  }
}

/** Best GFLOP/s over repeated runs (at least `minRuns`, and about `budget` seconds), by wall clock and per CPU-second. */
function time(s, ops, minRuns, budget) {
  const flops = 2 * s.M * s.N * s.K;
  return bestRates(
    () => {
      native.sgemm(s.transA, s.transB, s.M, s.N, s.K, 1, ops.A, ops.lda, ops.B, ops.ldb, 0, ops.C, s.N);
      return flops;
    },
    minRuns,
    budget,
  );
}

const TORCH_SCRIPT = `
import json, sys, time, torch
spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
core = None
try:
    import ctypes
    for line in open("/proc/self/maps"):
        if "openblas" in line:
            lib = ctypes.CDLL(line.split()[-1])
            lib.openblas_get_corename.restype = ctypes.c_char_p
            core = lib.openblas_get_corename().decode()
            break
except Exception as e:
    core = "unknown (%s)" % e
g = torch.Generator().manual_seed(0)
cast = lambda x: x
${TORCH_MM_LOOP}print(json.dumps({"version": torch.__version__, "corename": core, "config": torch.__config__.show(), "gflops": out}))
`;

/** torch.mm at the same shapes, or null when /usr/bin/python3 has no torch. */
function torchRun(minRuns, budget) {
  const env = { ...process.env };
  // Some environments pin OpenBLAS to AVX2 kernels; measure torch at its best.
  delete env.OPENBLAS_CORETYPE;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { env, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  const spec = JSON.stringify({ threads, shapes, minRuns, budget });
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, spec], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`torch benchmark failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const minRuns = opts.quick ? 1 : 3;
const budget = opts.quick ? 0.2 : 1.0;
const cpu = cpuInfo();
const widest = native.availableIsas().at(-1);
const measurePeaks = () =>
  Object.fromEntries([...new Set([...isas, widest])].map((isa) => [isa, measurePeak({ isa })]));
const peaksBefore = measurePeaks();
const log = opts.json ? () => {} : console.log;

const previous = native.isa();
const results = shapes.map((s) => ({ ...s, gflops: {}, cpuGflops: {} }));
for (const [n, s] of shapes.entries()) {
  const ops = operands(s);
  for (const isa of isas) {
    native.setIsa(isa);
    // The portable path is slow: time it once, enough for a ratio.
    const rate = isa === 'generic' ? time(s, ops, 1, 0) : time(s, ops, minRuns, budget);
    results[n].gflops[isa] = rate.gflops;
    results[n].cpuGflops[isa] = rate.cpuGflops;
    verify(s, ops, isa);
  }
}
native.setIsa(previous);

// A busy machine only ever lowers a measured peak: keep the best seen before and after the runs.
const peaksAfter = measurePeaks();
const bestPeak = (isa) => ({
  gflops: Math.max(peaksBefore[isa].gflops, peaksAfter[isa].gflops),
  cpuGflops: Math.max(peaksBefore[isa].cpuGflops, peaksAfter[isa].cpuGflops),
});
const peaks = Object.fromEntries(isas.map((isa) => [isa, bestPeak(isa).gflops]));
const widestPeak = bestPeak(widest);
const peak = widestPeak.gflops;
log(`CPU: ${cpu.model}; ${threads} threads; flags: ${cpu.flags.join(' ')}`);
log(
  `FMA peak (${threads} threads): ${isas.map((i) => `${i} ${peaks[i].toFixed(0)}`).join(', ')} GFLOP/s (${widest} per CPU-second: ${widestPeak.cpuGflops.toFixed(0)})`,
);

const torch = torchRun(minRuns, budget);
if (torch) {
  log(
    `torch ${torch.version}, OpenBLAS core: ${torch.corename ?? 'n/a'} (OPENBLAS_CORETYPE unset), ${threads} threads`,
  );
  // The config's one long "Build settings" line is cut down to its BLAS and CPU entries.
  const config = torch.config
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .flatMap((l) =>
      l.startsWith('- Build settings:')
        ? l
            .split(/,\s*/)
            .filter((x) => /BLAS|LAPACK|AVX/.test(x))
            .map((x) => x.replace(/^- Build settings:\s*/, ''))
        : /BLAS|LAPACK|CPU capability|OpenMP|MKL/i.test(l)
          ? [l.replace(/^- /, '')]
          : [],
    );
  log(config.map((l) => '  ' + l).join('\n'));
} else log('torch: not installed for /usr/bin/python3 — no ratio');

const best = isas[0];
// "cpu %" divides rates per CPU-second: on a shared machine it shows the kernel's efficiency when
// "% peak" (wall clock) mostly shows the neighbours.
const header = [
  'shape',
  'M×N×K',
  ...isas.map((i) => `${i} GF/s`),
  '% peak',
  'cpu %',
  ...(torch ? ['torch GF/s', `${best}/torch`] : []),
];
const rows = results.map((r, n) => {
  const mine = r.gflops[best];
  r.pct_peak = (100 * mine) / peak;
  r.pct_peak_cpu = (100 * r.cpuGflops[best]) / widestPeak.cpuGflops;
  r.torch_gflops = torch ? torch.gflops[n] : null;
  r.ratio = torch ? mine / torch.gflops[n] : null;
  return [
    r.name,
    `${r.M}×${r.N}×${r.K}`,
    ...isas.map((i) => r.gflops[i].toFixed(1)),
    r.pct_peak.toFixed(0) + '%',
    r.pct_peak_cpu.toFixed(0) + '%',
    ...(torch ? [r.torch_gflops.toFixed(1), r.ratio.toFixed(2) + '×'] : []),
  ];
});
for (const l of formatTable(header, rows)) log(l);

const sgemm = overallGflops(results, (r) => r.gflops[best]);
const torchSgemm = torch ? overallGflops(results, (_, n) => torch.gflops[n]) : null;
log(
  `overall ${best}: ${sgemm.toFixed(1)} GFLOP/s = ${((100 * sgemm) / peak).toFixed(0)}% of peak` +
    (torch ? `; torch ${torchSgemm.toFixed(1)} GFLOP/s; ratio ${(sgemm / torchSgemm).toFixed(2)}×` : ''),
);

if (opts.json)
  console.log(
    JSON.stringify({
      cpu: cpu.model,
      threads,
      isa: best,
      peak_gflops: peak,
      peaks,
      sgemm_gflops: sgemm,
      torch_sgemm_gflops: torchSgemm,
      ratio: torchSgemm ? sgemm / torchSgemm : null,
      torch: torch ? { version: torch.version, corename: torch.corename } : null,
      peak_cpu_gflops: widestPeak.cpuGflops,
      shapes: results.map(
        ({ name, transA, transB, M, N, K, gflops, cpuGflops, pct_peak, pct_peak_cpu, torch_gflops, ratio }) => ({
          name,
          transA,
          transB,
          M,
          N,
          K,
          gflops,
          cpu_gflops: cpuGflops,
          pct_peak,
          pct_peak_cpu,
          torch_gflops,
          ratio,
        }),
      ),
    }),
  );
