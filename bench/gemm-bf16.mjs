// bf16 GEMM speed at the paper preset's matmul shapes (bench/lib/gemm-shapes.mjs), per bf16 path, beside
// motif's fp32 sgemm on the same values and, where /usr/bin/python3 has torch, torch.mm in bf16 on the
// same threads in the same run. Each result is checked against a float64 dot product first. "% peak"
// divides by the measured VDPBF16PS (or TDPBF16PS) peak; on a machine shared with other work the
// ratios measured in one run are the figures to quote, not the absolute GFLOP/s.
// Usage: npm run build && node bench/gemm-bf16.mjs [--rows 4096] [--paths avx512bf16,generic] [--quick] [--json]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { native } from '../dist/model/native.js';
import { kernels } from '../dist/model/kernels.js';
import { bestRates, cpuInfo, measureBf16Peak, measurePeak } from './lib/hardware.mjs';
import { TORCH_MM_LOOP, modelShapes, overallGflops, randomMatrix } from './lib/gemm-shapes.mjs';
import { formatTable } from './lib/table.mjs';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '4096' },
    paths: { type: 'string' },
    threads: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/gemm-bf16.mjs [--rows N=B·T (4096)] [--paths list (all available, best first)] [--threads n] [--quick] [--json]',
  );
  process.exit(0);
}
if (opts.threads) native.setThreads(Number(opts.threads));
const threads = native.threads();
const shapes = modelShapes(Number(opts.rows));
const paths = opts.paths ? opts.paths.split(',') : native.availableBf16Paths().slice().reverse();
for (const p of paths)
  if (!native.availableBf16Paths().includes(p))
    throw new Error(`bf16 path ${p} is not available here (${native.availableBf16Paths().join(', ')})`);
const best = paths[0];
const fp32Isa = native.cpuFeatures().best;

/** A and B as bf16 bits and as the same values in fp32 (for sgemm), row-major as op() expects. */
function operands(s) {
  const lda = s.transA ? s.M : s.K;
  const ldb = s.transB ? s.K : s.N;
  const round = (x) => {
    const bits = new Uint16Array(x.length);
    kernels.f32ToBf16(bits, x);
    kernels.bf16ToF32(x, bits);
    return bits;
  };
  const A32 = randomMatrix(s.M * s.K, 1);
  const B32 = randomMatrix(s.K * s.N, 2);
  return { A: round(A32), B: round(B32), A32, B32, C: new Float32Array(s.M * s.N), lda, ldb };
}

/** Checks 64 entries of C against float64 dot products of the bf16 values (bound as test/model/gemm-bf16.test.ts). */
function verify(s, { A32, B32, C, lda, ldb }, label) {
  for (let t = 0; t < 64; t++) {
    const i = (t * 7919) % s.M;
    const j = (t * 104729) % s.N;
    let ref = 0;
    let mag = 0;
    for (let k = 0; k < s.K; k++) {
      const p = (s.transA ? A32[k * lda + i] : A32[i * lda + k]) * (s.transB ? B32[j * ldb + k] : B32[k * ldb + j]);
      ref += p;
      mag += Math.abs(p);
    }
    if (Math.abs(C[i * s.N + j] - ref) > (s.K + 8) * 2 ** -24 * mag)
      throw new Error(`${label} ${s.name}: C[${i},${j}] = ${C[i * s.N + j]}, expected ${ref}`);
  }
}

const TORCH_SCRIPT = `
import json, sys, time, torch
spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
g = torch.Generator().manual_seed(0)
cast = lambda x: x.bfloat16()
${TORCH_MM_LOOP}print(json.dumps({"version": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available(), "gflops": out}))
`;

/** torch.mm in bf16 at the same shapes (its C is bf16, half motif's fp32 store traffic), or null without torch. */
function torchRun(minRuns, budget) {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  const spec = JSON.stringify({ threads, shapes, minRuns, budget });
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`torch benchmark failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const minRuns = opts.quick ? 1 : 3;
const budget = opts.quick ? 0.2 : 1.0;
const log = opts.json ? () => {} : console.log;
const cpu = cpuInfo();

// Peaks before and after the runs; a busy machine only ever lowers them, so the best of both counts.
const probePaths = native.availableBf16Paths().filter((p) => p !== 'generic');
const measurePeaks = () => ({
  fp32: measurePeak({ isa: fp32Isa }),
  ...Object.fromEntries(probePaths.map((p) => [p, measureBf16Peak({ path: p })])),
});
const peaksBefore = measurePeaks();

const previous = { path: native.bf16Path(), isa: native.isa() };
native.setIsa(fp32Isa);
const results = [];
for (const s of shapes) {
  const ops = operands(s);
  const flops = 2 * s.M * s.N * s.K;
  const r = { ...s, gflops: {}, cpuGflops: {} };
  for (const p of paths) {
    native.setBf16Path(p);
    const run = () => (
      native.gemmBf16(s.transA, s.transB, s.M, s.N, s.K, 1, ops.A, ops.lda, ops.B, ops.ldb, 0, ops.C, s.N),
      flops
    );
    // The portable path is slow: time it once, enough for a ratio.
    const rate = p === 'generic' ? bestRates(run, 1, 0) : bestRates(run, minRuns, budget);
    verify(s, ops, p);
    r.gflops[p] = rate.gflops;
    r.cpuGflops[p] = rate.cpuGflops;
  }
  const fp32 = bestRates(
    () => (
      native.sgemm(s.transA, s.transB, s.M, s.N, s.K, 1, ops.A32, ops.lda, ops.B32, ops.ldb, 0, ops.C, s.N),
      flops
    ),
    minRuns,
    budget,
  );
  verify(s, ops, `fp32 sgemm (${fp32Isa})`);
  r.fp32_gflops = fp32.gflops;
  results.push(r);
}
native.setBf16Path(previous.path);
native.setIsa(previous.isa);

const peaksAfter = measurePeaks();
const peaks = Object.fromEntries(
  Object.keys(peaksBefore).map((k) => [
    k,
    {
      gflops: Math.max(peaksBefore[k].gflops, peaksAfter[k].gflops),
      cpuGflops: Math.max(peaksBefore[k].cpuGflops, peaksAfter[k].cpuGflops),
    },
  ]),
);
// The yardstick of the best path: its own instruction's peak, or the fp32 FMA peak for the portable path.
const peak = peaks[best] ?? peaks.fp32;
const features = native.cpuFeatures();
log(`CPU: ${cpu.model}; ${threads} threads; flags: ${cpu.flags.join(' ')}`);
log(
  `peaks (${threads} threads, GFLOP/s): fp32 FMA (${fp32Isa}) ${peaks.fp32.gflops.toFixed(0)}` +
    probePaths.map((p) => `, ${p === 'amx' ? 'TDPBF16PS' : 'VDPBF16PS'} ${peaks[p].gflops.toFixed(0)}`).join('') +
    (features.amx
      ? ''
      : `; AMX: not on this CPU (cpu ${features.amxCpu}, os ${features.amxOs}, permitted ${features.amxPermitted}) — no TDPBF16PS probe`),
);

const torch = torchRun(minRuns, budget);
log(
  torch
    ? `torch ${torch.version} (oneDNN ${torch.mkldnn ? 'on' : 'off'}), torch.mm in bf16, ${threads} threads`
    : 'torch: not installed for /usr/bin/python3 — no ratio',
);

const header = [
  'shape',
  'M×N×K',
  ...paths.map((p) => `${p} GF/s`),
  `fp32 GF/s`,
  `${best}/fp32`,
  '% peak',
  'cpu %',
  ...(torch ? ['torch bf16 GF/s', `${best}/torch`] : []),
];
const rows = results.map((r, n) => {
  const mine = r.gflops[best];
  r.ratio_fp32 = mine / r.fp32_gflops;
  r.pct_peak = (100 * mine) / peak.gflops;
  r.pct_peak_cpu = (100 * r.cpuGflops[best]) / peak.cpuGflops;
  r.torch_gflops = torch ? torch.gflops[n] : null;
  r.ratio_torch = torch ? mine / torch.gflops[n] : null;
  return [
    r.name,
    `${r.M}×${r.N}×${r.K}`,
    ...paths.map((p) => r.gflops[p].toFixed(1)),
    r.fp32_gflops.toFixed(1),
    r.ratio_fp32.toFixed(2) + '×',
    r.pct_peak.toFixed(0) + '%',
    r.pct_peak_cpu.toFixed(0) + '%',
    ...(torch ? [r.torch_gflops.toFixed(1), r.ratio_torch.toFixed(2) + '×'] : []),
  ];
});
for (const l of formatTable(header, rows)) log(l);

const overall = overallGflops(results, (r) => r.gflops[best]);
const overallFp32 = overallGflops(results, (r) => r.fp32_gflops);
const overallTorch = torch ? overallGflops(results, (_, n) => torch.gflops[n]) : null;
log(
  `overall ${best}: ${overall.toFixed(1)} GFLOP/s = ${((100 * overall) / peak.gflops).toFixed(0)}% of its peak; ` +
    `${(overall / overallFp32).toFixed(2)}× motif fp32 sgemm` +
    (torch ? `; ${(overall / overallTorch).toFixed(2)}× torch bf16 (${overallTorch.toFixed(1)} GFLOP/s)` : ''),
);
log(
  'Absolute figures move with whatever else runs on the machine; the ratios come from one run and are the ones to quote.',
);

if (opts.json)
  console.log(
    JSON.stringify({
      cpu: cpu.model,
      threads,
      bf16_isa: best,
      amx: features.amx,
      fp32_isa: fp32Isa,
      peaks_gflops: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, v.gflops])),
      bf16_peak_gflops: peaks[best]?.gflops ?? null,
      bf16_sgemm_gflops: overall,
      fp32_sgemm_gflops: overallFp32,
      torch_bf16_gflops: overallTorch,
      ratio_fp32: overall / overallFp32,
      ratio_torch_bf16: torch ? overall / overallTorch : null,
      torch: torch ? { version: torch.version, mkldnn: torch.mkldnn } : null,
      shapes: results.map(
        ({
          name,
          transA,
          transB,
          M,
          N,
          K,
          gflops,
          cpuGflops,
          fp32_gflops,
          ratio_fp32,
          pct_peak,
          pct_peak_cpu,
          torch_gflops,
          ratio_torch,
        }) => ({
          name,
          transA,
          transB,
          M,
          N,
          K,
          gflops,
          cpu_gflops: cpuGflops,
          fp32_gflops,
          ratio_fp32,
          pct_peak,
          pct_peak_cpu,
          torch_gflops,
          ratio_torch,
        }),
      ),
    }),
  );
