// The one module that loads motif's native compute core (build/Release/motif_native.node).
// Everything else imports the typed functions from here; nothing else touches the binary.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Names of the instruction-set paths the core may be built with. */
export type IsaName = 'generic' | 'avx2' | 'avx512';

/** The bf16 GEMM paths: widened to fp32 (any CPU), VDPBF16PS dot products, AMX tiles. */
export type Bf16Path = 'generic' | 'avx512bf16' | 'amx';

/** What the running CPU and OS support, as detected by CPUID + XGETBV; `best` is the default ISA. */
export interface CpuFeatures {
  avx2: boolean;
  avx512: boolean;
  avx512bf16: boolean;
  /** The AMX path can run: amxCpu, amxOs and amxPermitted (and AVX-512, which its packing uses). */
  amx: boolean;
  /** CPUID reports AMX-TILE and AMX-BF16. */
  amxCpu: boolean;
  /** XCR0 enables tile state (bits 17 and 18). */
  amxOs: boolean;
  /** Linux granted this process tile data (arch_prctl ARCH_REQ_XCOMP_PERM, asked at load). */
  amxPermitted: boolean;
  best: IsaName;
  /** The default bf16 path (MOTIF_BF16 overrides it at load). */
  bestBf16: Bf16Path;
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
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /** Runs `iters` iterations of the register-only FMA loop on every thread; returns the FLOPs performed. */
  fmaPeak(iters: number): number;
  /** The active bf16 GEMM path (MOTIF_BF16 overrides the CPU's best at load). */
  bf16Path(): Bf16Path;
  /** Switches the bf16 path; false (no change) when this CPU, OS or build lacks it. */
  setBf16Path(path: Bf16Path): boolean;
  /** The bf16 paths this machine can run, generic first. */
  availableBf16Paths(): Bf16Path[];
  /** As sgemm with A and B as raw bf16 bits (see kernels.f32ToBf16); fp32 products, sums and C. */
  gemmBf16(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Uint16Array,
    lda: number,
    B: Uint16Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /** The active bf16 path's dot-product loop (VDPBF16PS or TDPBF16PS) on every thread; FLOPs performed. Throws on generic. */
  bf16Peak(iters: number): number;
  [name: string]: unknown;
}

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('motif: cannot find the project root (package.json) above ' + fileURLToPath(import.meta.url));
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
