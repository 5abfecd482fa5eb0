// The bf16 GEMM paths a test runs on, and why one cannot run here (the skip message a test shows).
// Shared by the tests of the bf16 GEMM and of the bf16 model; not a dispatch test.
import { native, type Bf16Path } from '../../src/model/native.js';

/** Every bf16 path, generic first: tests loop over all of them and skip the ones this machine lacks. */
export const BF16_PATHS: readonly Bf16Path[] = ['generic', 'avx512bf16', 'amx'];

/** Why `path` cannot run here, or false when it can. */
export function whyNot(path: Bf16Path): string | false {
  const features = native.cpuFeatures();
  if (native.availableBf16Paths().includes(path)) return false;
  if (path === 'avx512bf16')
    return 'avx512bf16 path skipped: this CPU (or OS) has no AVX512_BF16 with AVX-512 F/DQ/BW/VL';
  if (!features.amxCpu)
    return 'AMX path skipped: this CPU has no AMX-TILE/AMX-BF16 (CPUID leaf 7 EDX bits 24/22), and AMX cannot be emulated; the path is built but untested here';
  if (!features.amxOs) return 'AMX path skipped: the OS does not enable tile state (XCR0 bits 17/18)';
  if (!features.amxPermitted)
    return 'AMX path skipped: Linux refused arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)';
  return 'AMX path skipped: its packing needs AVX-512, which this CPU lacks';
}
