// A precision choice resolved against the running CPU, and what a run records about its arithmetic.
// Not the choice's names (precision.ts) nor the arithmetic (native/src/model.h).
import { native } from './native.js';
import type { Precision, PrecisionChoice, PrecisionRecord } from './precision.js';

/**
 * auto → bf16 when the CPU has AVX512_BF16 or AMX, else fp32: the generic bf16 path widens to fp32 and
 * is slower than fp32 itself. fp32 and bf16 are taken as given (bf16 on the generic path still runs).
 */
export function resolvePrecision(choice: PrecisionChoice): Precision {
  if (choice !== 'auto') return choice;
  return native.cpuFeatures().bestBf16 === 'generic' ? 'fp32' : 'bf16';
}

/** The record of a model computing in `precision` on this machine now. */
export function precisionRecord(precision: Precision): PrecisionRecord {
  return { precision, bf16Path: precision === 'bf16' ? native.bf16Path() : null, isa: native.isa() };
}
