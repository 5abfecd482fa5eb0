// The precision motif's matmuls run in, as a user chooses it ('auto' | 'fp32' | 'bf16'): names and the
// check. Free of the native core so that verbs parse it without loading the core; resolving auto
// against this CPU is machine-precision.ts's, the arithmetic native/src/model.h's.
import type { Bf16Path, IsaName } from './native.js';

/** The precision a model computes its matmuls in. */
export type Precision = 'fp32' | 'bf16';
/** What a user asks for: auto picks bf16 where the CPU has a bf16 path faster than fp32. */
export type PrecisionChoice = 'auto' | Precision;

/** The choices, in the order --help lists them. */
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ['auto', 'fp32', 'bf16'];

/** Checks a user's value (a CLI flag, a run's config); names the allowed values when it is none of them. */
export function parsePrecision(value: string): PrecisionChoice {
  if ((PRECISION_CHOICES as readonly string[]).includes(value)) return value as PrecisionChoice;
  throw new Error(`precision must be one of ${PRECISION_CHOICES.join(', ')}, got '${value}'`);
}

/** What a run records about its arithmetic: the precision, the bf16 GEMM path (bf16 only) and the kernel ISA. */
export interface PrecisionRecord {
  precision: Precision;
  bf16Path: Bf16Path | null;
  isa: IsaName;
}

/** A record for people: "bf16 (avx512bf16 GEMM, avx512 kernels)" or "fp32 (avx512 kernels)". */
export function describePrecision(r: PrecisionRecord): string {
  return r.bf16Path ? `${r.precision} (${r.bf16Path} GEMM, ${r.isa} kernels)` : `${r.precision} (${r.isa} kernels)`;
}
