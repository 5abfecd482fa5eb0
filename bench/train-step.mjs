// Training-step and forward speed of motif's transformer as MFU (model FLOPs/s ÷ this machine's
// measured fp32 FMA peak), SGEMM at the model's shapes, and peak memory; against PyTorch (same model,
// same threads, python/bench_torch.py, run without OPENBLAS_CORETYPE) in the same run where
// /usr/bin/python3 has torch. Each configuration runs in its own process so peak RSS is its own.
// bf16 rows: motif's bf16 mixed precision (Transformer.precision) on the best bf16 path here against
// PyTorch under torch.autocast('cpu', bfloat16), and the bf16 GEMM and its instruction's peak.
// First checks the model (fp32 and bf16) against the PyTorch golden fixture. Timing only; no assertions on speed.
// Usage: npm run build && node bench/train-step.mjs [--steps 3] [--quick] [--no-torch] [--json]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { native } from '../dist/model/native.js';
import { Transformer } from '../dist/model/transformer.js';
import { loadPreset } from '../dist/model/config.js';
import { readSafetensors } from '../dist/model/safetensors.js';
import { cpuInfo, measureBf16Peak, measurePeak } from './lib/hardware.mjs';
import { kernels } from '../dist/model/kernels.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    steps: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node bench/train-step.mjs [--steps n (3)] [--quick: paper 8×512 and small only] [--no-torch] [--json]');
  process.exit(0);
}

/** Model FLOPs per token: 6·N_matmul + 12·L·d·T for a training step, 2·N_matmul + 4·L·d·T forward. */
function flopsPerToken(m, T, mode) {
  const matmul = m.nLayers * (4 * m.dModel * m.dModel + 2 * m.dModel * m.dFF) + m.vocabSize * m.dModel;
  const attention = m.nLayers * m.dModel * T;
  return mode === 'train' ? 6 * matmul + 12 * attention : 2 * matmul + 4 * attention;
}

function randomTokens(n, V, seed) {
  let s = seed >>> 0;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 1 + (s % (V - 1));
  });
}

// ── child: one configuration, timed in a fresh process ───────────────────────────────────────
if (opts.child) {
  const { preset, B, T, mode, steps, precision } = JSON.parse(opts.child);
  const { model: config, train } = loadPreset(preset);
  const model = Transformer.create(config, 0, train);
  model.precision = precision;
  const tokens = randomTokens(B * T, config.vocabSize, 1);
  const run =
    mode === 'train' ? () => model.trainStep(tokens, B, T, train.lr).loss : () => model.evalLoss(tokens, B, T).loss;
  const loss = run(); // warm-up (allocates activations)
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) run();
  const seconds = (performance.now() - t0) / 1000 / steps;
  console.log(
    JSON.stringify({
      seconds_per_step: seconds,
      tokens_per_second: (B * T) / seconds,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      loss,
    }),
  );
  process.exit(0);
}

function lastJson(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ── check first: the tiny model against PyTorch's float64 fixture on this ISA ───────────────────
// fp32 to float rounding; bf16 within its tolerance (test/model/bf16-model.test.ts derives it: 8-bit
// significands, u = 2⁻⁸, errors adding over the D matmuls of the chain: loss ≤ 2u·D, gradients ≤ 2u·2D).
function check(precision) {
  const dir = join(ROOT, 'test', 'fixtures', 'model');
  const c = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8')).cases.post_ln;
  const file = readSafetensors(join(dir, 'post_ln.safetensors')).tensors;
  const model = Transformer.create(c.config, 0);
  model.precision = precision;
  for (const [k, w] of model.parameters()) w.set(file.get(`weights.${k}`).data);
  const loss = model.forwardBackward(Int32Array.from(c.tokens), c.B, c.T);
  let worst = 0;
  for (const [k, g] of model.gradients()) {
    const ref = file.get(`grads.${k}`).data;
    let d = 0,
      n = 0;
    for (let i = 0; i < g.length; i++) {
      d += (g[i] - ref[i]) ** 2;
      n += ref[i] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(d / Math.max(n, 1e-30)));
  }
  const lossErr = Math.abs(loss - c.loss) / c.loss;
  const D = 4 * c.config.nLayers + 1;
  const [lossTol, gradTol] = precision === 'bf16' ? [2 * 2 ** -8 * D, 4 * 2 ** -8 * D] : [1e-5, 1e-4];
  if (lossErr > lossTol || worst > gradTol)
    throw new Error(`${precision} model check failed: loss rel. error ${lossErr}, worst gradient rel. error ${worst}`);
  return { loss_rel_error: lossErr, worst_grad_rel_error: worst };
}

/** GFLOP/s of C = A·Bᵀ at each shape: fp32 sgemm, or the active bf16 GEMM on the operands rounded to bf16. */
function sgemmGflops(shapes, precision = 'fp32') {
  const out = [];
  for (const [M, N, K] of shapes) {
    let a = Float32Array.from(randomTokens(M * K, 1000, 3), (x) => x / 1000 - 0.5);
    let b = Float32Array.from(randomTokens(N * K, 1000, 4), (x) => x / 1000 - 0.5);
    const gemm = precision === 'bf16' ? native.gemmBf16 : native.sgemm;
    if (precision === 'bf16')
      [a, b] = [a, b].map((x) => {
        const bits = new Uint16Array(x.length);
        kernels.f32ToBf16(bits, x);
        return bits;
      });
    const C = new Float32Array(M * N);
    let best = Infinity;
    for (let r = 0; r < 4; r++) {
      const t = performance.now();
      gemm(false, true, M, N, K, 1, a, K, b, K, 0, C, N);
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    out.push({ M, N, K, gflops: (2 * M * N * K) / best / 1e9 });
  }
  return out;
}
const aggregate = (list) =>
  list.reduce((s, x) => s + 2 * x.M * x.N * x.K, 0) / list.reduce((s, x) => s + (2 * x.M * x.N * x.K) / x.gflops, 0);

const info = cpuInfo();
// The hardware peak is the best the FMA loop ever reaches: measured before and after the runs (see
// below), since other processes on a shared machine can only slow it down.
const peakBefore = measurePeak();
const bf16Path = native.cpuFeatures().bestBf16;
native.setBf16Path(bf16Path);
const bf16PeakOf = () => (bf16Path === 'generic' ? null : measureBf16Peak({ path: bf16Path }));
const bf16PeakBefore = bf16PeakOf();
const loadBefore = loadavg()[0];
const checked = check('fp32');
const checkedBf16 = check('bf16');
const paper = loadPreset('paper').model;
// Matmul shapes of a paper 8 × 512 step: qkv, ffn up, ffn down, one head chunk.
const N = 8 * 512;
const shapes = [
  [N, 3 * paper.dModel, paper.dModel],
  [N, paper.dFF, paper.dModel],
  [N, paper.dModel, paper.dFF],
  [512, paper.vocabSize, paper.dModel],
];
const sgemm = sgemmGflops(shapes);
const bf16Gemm = sgemmGflops(shapes, 'bf16');

const torchEnv = { ...process.env };
delete torchEnv.OPENBLAS_CORETYPE; // let OpenBLAS pick its best (AVX-512) kernels
const python = (args) =>
  spawnSync(
    '/usr/bin/python3',
    [join(ROOT, 'python', 'bench_torch.py'), '--threads', String(native.threads()), ...args],
    { encoding: 'utf8', env: torchEnv, maxBuffer: 1 << 24 },
  );
const hasTorch =
  !opts['no-torch'] && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { env: torchEnv }).status === 0;
const torchInfo = hasTorch ? lastJson(python(['--mode', 'info']), 'torch info') : null;
const torchSgemm = hasTorch
  ? lastJson(python(['--mode', 'sgemm', '--shapes', JSON.stringify(shapes), '--steps', '4']), 'torch sgemm').sgemm
  : null;

const fp32 = 'fp32';
const bf16 = 'bf16';
const configs = [
  { name: 'paper 8×512 train', preset: 'paper', B: 8, T: 512, mode: 'train', precision: fp32 },
  { name: 'paper 1×2048 train', preset: 'paper', B: 1, T: 2048, mode: 'train', precision: fp32 },
  { name: 'small 8×512 train', preset: 'small', B: 8, T: 512, mode: 'train', precision: fp32 },
  { name: 'paper 8×512 forward', preset: 'paper', B: 8, T: 512, mode: 'forward', precision: fp32 },
  { name: 'small 8×512 forward', preset: 'small', B: 8, T: 512, mode: 'forward', precision: fp32 },
  { name: 'paper 8×512 train bf16', preset: 'paper', B: 8, T: 512, mode: 'train', precision: bf16 },
  { name: 'small 8×512 train bf16', preset: 'small', B: 8, T: 512, mode: 'train', precision: bf16 },
  { name: 'paper 8×512 forward bf16', preset: 'paper', B: 8, T: 512, mode: 'forward', precision: bf16 },
].filter((c) => !opts.quick || c.name !== 'paper 1×2048 train');
const steps = Number(opts.steps);
const runs = [];
for (const c of configs) {
  const model = loadPreset(c.preset).model;
  const flops = flopsPerToken(model, c.T, c.mode);
  const spec = JSON.stringify({ preset: c.preset, B: c.B, T: c.T, mode: c.mode, steps, precision: c.precision });
  const m = lastJson(
    spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', spec], { encoding: 'utf8' }),
    `motif ${c.name}`,
  );
  const run = { ...c, flops_per_token: flops, motif: m, torch: null, ratio: null };
  if (hasTorch) {
    run.torch = lastJson(
      python([
        '--mode',
        c.mode,
        '--config',
        JSON.stringify(model),
        '--batch',
        String(c.B),
        '--seq',
        String(c.T),
        '--steps',
        String(steps),
        '--precision',
        c.precision,
      ]),
      `torch ${c.name}`,
    );
    run.ratio = m.tokens_per_second / run.torch.tokens_per_second;
  }
  runs.push(run);
  if (!opts.json) console.error(`done: ${c.name}`);
}
const peakAfter = measurePeak();
const peak = peakAfter.gflops > peakBefore.gflops ? peakAfter : peakBefore;
const bf16PeakAfter = bf16PeakOf();
const bf16Peak = bf16PeakAfter && bf16PeakAfter.gflops > bf16PeakBefore.gflops ? bf16PeakAfter : bf16PeakBefore;
const load = Math.max(loadBefore, loadavg()[0]);
for (const r of runs)
  for (const side of [r.motif, r.torch])
    if (side) side.mfu = (side.tokens_per_second * r.flops_per_token) / (peak.gflops * 1e9);

const pct = (x) => (x == null ? '—' : `${(100 * x).toFixed(1)}%`);
const num = (x, d = 0) => (x == null ? '—' : x.toFixed(d));
console.log(
  `# motif train-step benchmark — ${info.model}, ${peak.threads} threads, ISA ${native.isa()}; peak ${peak.gflops.toFixed(0)} GFLOP/s (FMA loop)`,
);
if (load > peak.threads)
  console.log(
    `# WARNING: load average ${load.toFixed(1)} on ${peak.threads} threads: other processes share the CPU, so the peak and every figure below are depressed and noisy (ratios less so)`,
  );
console.log(
  `# check vs PyTorch fixture: loss rel. error ${checked.loss_rel_error.toExponential(1)}, worst gradient rel. error ${checked.worst_grad_rel_error.toExponential(1)}; ` +
    `bf16 ${checkedBf16.loss_rel_error.toExponential(1)}, ${checkedBf16.worst_grad_rel_error.toExponential(1)} (within bf16 tolerance)`,
);
const amx = native.cpuFeatures().amx;
console.log(
  `# bf16 path ${bf16Path} (AMX ${amx ? 'yes' : 'no'}); ${bf16Peak ? `its dot-product peak ${bf16Peak.gflops.toFixed(0)} GFLOP/s` : 'no bf16 instruction: the generic path widens to fp32'}`,
);
if (torchInfo)
  console.log(
    `# torch ${torchInfo.torch}: ${torchInfo.openblas_config ?? torchInfo.libraries.join(', ')}; OpenBLAS core ${torchInfo.openblas_core}; ATen ${torchInfo.aten_cpu_capability}`,
  );
console.log('\nSGEMM (M×N×K)            motif GFLOP/s  % peak   torch GFLOP/s | bf16 GFLOP/s  % bf16 peak');
sgemm.forEach((s, i) =>
  console.log(
    `${`${s.M}×${s.N}×${s.K}`.padEnd(24)} ${num(s.gflops).padStart(13)}  ${pct(s.gflops / peak.gflops).padStart(6)}   ${num(torchSgemm?.[i].gflops).padStart(13)} | ` +
      `${num(bf16Gemm[i].gflops).padStart(12)}  ${pct(bf16Peak && bf16Gemm[i].gflops / bf16Peak.gflops).padStart(11)}`,
  ),
);
console.log(
  '\nconfiguration (torch bf16: autocast)  motif tok/s   MFU    RSS MB | torch tok/s   MFU    RSS MB | ratio',
);
for (const r of runs)
  console.log(
    `${r.name.padEnd(36)} ${num(r.motif.tokens_per_second).padStart(11)} ${pct(r.motif.mfu).padStart(6)} ${num(r.motif.peak_rss_mb).padStart(8)} | ` +
      `${num(r.torch?.tokens_per_second).padStart(11)} ${pct(r.torch?.mfu).padStart(6)} ${num(r.torch?.peak_rss_mb).padStart(8)} | ${r.ratio == null ? '—' : r.ratio.toFixed(2) + '×'}`,
  );

const find = (name) => runs.find((r) => r.name === name);
const tokensPerS = (name) => find(name)?.motif.tokens_per_second ?? null;
const bf16OverFp32 = tokensPerS('paper 8×512 train bf16') / tokensPerS('paper 8×512 train');
console.log(
  `\nbf16 / fp32, motif paper 8×512: training ${bf16OverFp32.toFixed(2)}×, forward ${(tokensPerS('paper 8×512 forward bf16') / tokensPerS('paper 8×512 forward')).toFixed(2)}×`,
);

if (opts.json) {
  const ratio = (name) => find(name)?.ratio ?? null;
  console.log(
    JSON.stringify({
      peak_gflops: peak.gflops,
      isa: native.isa(),
      threads: peak.threads,
      cpu: info.model,
      load_average: load,
      sgemm_gflops: aggregate(sgemm),
      torch_sgemm_gflops: torchSgemm ? aggregate(torchSgemm) : null,
      train_mfu: find('paper 8×512 train').motif.mfu,
      forward_mfu: find('paper 8×512 forward').motif.mfu,
      train_ratio: ratio('paper 8×512 train'),
      train_ratio_2048: ratio('paper 1×2048 train'),
      train_ratio_small: ratio('small 8×512 train'),
      forward_ratio: ratio('paper 8×512 forward'),
      forward_ratio_small: ratio('small 8×512 forward'),
      amx,
      bf16_isa: bf16Path,
      bf16_peak_gflops: bf16Peak?.gflops ?? null,
      bf16_sgemm_gflops: aggregate(bf16Gemm),
      fp32_train_tokens_per_s: tokensPerS('paper 8×512 train'),
      bf16_train_tokens_per_s: tokensPerS('paper 8×512 train bf16'),
      torch_bf16_train_tokens_per_s: find('paper 8×512 train bf16').torch?.tokens_per_second ?? null,
      bf16_train_ratio_torch_bf16: ratio('paper 8×512 train bf16'),
      bf16_train_ratio_small: ratio('small 8×512 train bf16'),
      bf16_forward_ratio: ratio('paper 8×512 forward bf16'),
      bf16_train_ratio_fp32: bf16OverFp32,
      torch: torchInfo,
      check: checked,
      check_bf16: checkedBf16,
      sgemm,
      torch_sgemm: torchSgemm,
      runs: runs.map((r) => ({
        name: r.name,
        preset: r.preset,
        B: r.B,
        T: r.T,
        mode: r.mode,
        precision: r.precision,
        flops_per_token: r.flops_per_token,
        motif: r.motif,
        torch: r.torch,
        ratio: r.ratio,
      })),
    }),
  );
}
