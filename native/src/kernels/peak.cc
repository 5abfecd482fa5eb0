// The peak-FLOPs probe: a register-only loop of independent FMA chains, enough of them to cover
// FMA latency × FMA ports (Zen 5: 4 cycles × 2 ports → ≥ 8; 12 leaves slack), widest vectors of
// the ISA. It measures arithmetic throughput only — no memory traffic — as the yardstick for MFU.
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace motif {
namespace MOTIF_ISA {

namespace {
constexpr int CHAINS = 12;
}  // namespace

double fma_peak_loop(int64_t iters) {
  // acc ← acc·b + c converges to c / (1 − b): no overflow and no denormals, however long it runs.
  // Without -ffast-math the compiler cannot fold the chains, so every FMA really executes.
  vec acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = vset1(1.f + 0.01f * (float)i);
  vec b = vset1(0.999f), c = vset1(0.001f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = vfma(acc[i], b, c);
  }
  float sum = 0;
  for (int i = 0; i < CHAINS; i++) sum += vfirst(acc[i]);
  volatile float sink = sum;
  (void)sink;
  return 2.0 * W * CHAINS * (double)iters;
}

}  // namespace MOTIF_ISA
}  // namespace motif
