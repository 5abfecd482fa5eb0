// The one module that loads motif's native compute core (build/Release/motif_native.node).
// Everything else imports the typed functions from here; nothing else touches the binary.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Names of the instruction-set paths the core may be built with. */
export type IsaName = 'generic' | 'avx2' | 'avx512';

/** What the running CPU and OS support, as detected by CPUID + XGETBV; `best` is the default ISA. */
export interface CpuFeatures {
  avx2: boolean;
  avx512: boolean;
  avx512bf16: boolean;
  best: IsaName;
}

/** The raw addon surface; binding_*.cc files define it. Kernel and model entries are typed where they are wrapped. */
export interface NativeCore {
  /** The active kernel table (MOTIF_ISA overrides the CPU's best at load). */
  isa(): IsaName;
  /** Switches the kernel table; false (no change) when this CPU or build lacks it. */
  setIsa(isa: IsaName): boolean;
  /** The tables this CPU can run, narrowest first. */
  availableIsas(): IsaName[];
  cpuFeatures(): CpuFeatures;
  /** Threads kernels use (MOTIF_THREADS, else the cores this process may run on). */
  threads(): number;
  setThreads(n: number): void;
  /** C (M, N) = alpha·op(A)·op(B) + beta·C, row-major with row strides lda/ldb/ldc; beta 0 never reads C. */
  sgemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
    lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void;
  /** Runs `iters` iterations of the register-only FMA loop on every thread; returns the FLOPs performed. */
  fmaPeak(iters: number): number;
  [name: string]: unknown;
}

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('motif: cannot find the project root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeCore {
  const path = join(projectRoot(), 'build', 'Release', 'motif_native.node');
  try {
    return createRequire(import.meta.url)(path) as NativeCore;
  } catch (err) {
    throw new Error(
      `motif: cannot load the native compute core at ${path} (${(err as Error).message}).\n` +
        'It is built by `npm install` (node-gyp, needs g++, make and python3); rebuild it with `npx node-gyp rebuild`.',
      { cause: err },
    );
  }
}

/** The loaded native core (loaded on first import). */
export const native: NativeCore = load();
