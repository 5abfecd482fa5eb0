// The hardware side of every benchmark: what CPU this is, and its measured fp32 FMA and bf16 dot-product
// peaks (the denominators of MFU and of "% of peak"). It measures; it does not judge or print tables.
import { readFileSync, existsSync } from 'node:fs';
import { native } from '../../dist/model/native.js';

const RELEVANT_FLAGS = [
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512dq',
  'avx512bw',
  'avx512vl',
  'avx512_bf16',
  'avx512_vnni',
  'amx_tile',
  'amx_bf16',
  'neon',
  'asimd',
  'sve',
];

/** CPU model, cores available to kernels, the SIMD flags the OS reports and what the native core detected. */
export function cpuInfo() {
  let model = 'unknown';
  let flags = [];
  if (existsSync('/proc/cpuinfo')) {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    model =
      /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? /^Hardware\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? model;
    const all = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
    flags = RELEVANT_FLAGS.filter((f) => all.has(f));
  }
  return {
    model,
    threads: native.threads(),
    flags,
    detected: native.cpuFeatures(),
    isas: native.availableIsas(),
    bf16Paths: native.availableBf16Paths(),
  };
}

/**
 * Runs fn (which returns the FLOPs it did) once: GFLOP/s by wall clock, and per CPU-second times the
 * thread count — the rate had every thread kept its core, which stays meaningful on a busy machine.
 */
export function rates(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const flops = fn();
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  return { gflops: flops / wall / 1e9, cpuGflops: (flops / cpu / 1e9) * native.threads() };
}

/**
 * Best rates of `fn` (which returns the FLOPs it did) after one warm-up run: at least `minRuns` runs
 * and about `budget` seconds, by wall clock and per CPU-second.
 */
export function bestRates(fn, minRuns, budget) {
  fn();
  const best = { gflops: 0, cpuGflops: 0 };
  const start = performance.now();
  for (let r = 0; r < minRuns || (performance.now() - start) / 1000 < budget; r++) {
    const rate = rates(fn);
    best.gflops = Math.max(best.gflops, rate.gflops);
    best.cpuGflops = Math.max(best.cpuGflops, rate.cpuGflops);
  }
  return best;
}

/**
 * Best GFLOP/s of `probe(iters)` (which returns the FLOPs it did) over `repeats` runs of about `seconds`
 * each, by wall clock and per CPU-second: other processes on a shared machine only ever slow it down.
 */
function peakOf(probe, repeats, seconds) {
  // Calibrate the iteration count so that one run lasts about `seconds`.
  let iters = 1e5;
  for (;;) {
    const t = performance.now();
    probe(iters);
    const ms = performance.now() - t;
    if (ms > 5) {
      iters = Math.max(1, Math.round((iters * seconds * 1000) / ms));
      break;
    }
    iters *= 4;
  }
  let best = 0;
  let bestCpu = 0;
  for (let r = 0; r < repeats; r++) {
    const rate = rates(() => probe(iters));
    best = Math.max(best, rate.gflops);
    bestCpu = Math.max(bestCpu, rate.cpuGflops);
  }
  return { gflops: best, cpuGflops: bestCpu, threads: native.threads() };
}

/** Peak fp32 GFLOP/s of the FMA loop on all pool threads with `isa` (default: the active one). */
export function measurePeak({ isa = native.isa(), repeats = 15, seconds = 0.05 } = {}) {
  const previous = native.isa();
  if (!native.setIsa(isa))
    throw new Error(`measurePeak: ISA ${isa} is not available here (${native.availableIsas().join(', ')})`);
  try {
    return { ...peakOf((iters) => native.fmaPeak(iters), repeats, seconds), isa };
  } finally {
    native.setIsa(previous);
  }
}

/** Peak bf16 GFLOP/s of a bf16 path's dot-product loop (VDPBF16PS or TDPBF16PS) on all pool threads. */
export function measureBf16Peak({ path, repeats = 15, seconds = 0.05 }) {
  const previous = native.bf16Path();
  if (path === 'generic' || !native.setBf16Path(path))
    throw new Error(`measureBf16Peak: bf16 path ${path} has no probe here (${native.availableBf16Paths().join(', ')})`);
  try {
    return { ...peakOf((iters) => native.bf16Peak(iters), repeats, seconds), path };
  } finally {
    native.setBf16Path(previous);
  }
}
