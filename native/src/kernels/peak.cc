// The peak-FLOPs probe: a register-only loop of independent FMA chains, enough of them to cover
// FMA latency × FMA ports (Zen 5: 4 cycles × 2 ports → ≥ 8; 12 leaves slack), widest vectors of
// the ISA. It measures arithmetic throughput only — no memory traffic — as the yardstick for MFU.
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

namespace {
#if defined(__AVX512F__)
using vec = __m512;
constexpr int W = 16;
inline vec vset1(float x) { return _mm512_set1_ps(x); }
inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float vfirst(vec v) { return _mm512_cvtss_f32(v); }
#elif defined(__AVX2__)
using vec = __m256;
constexpr int W = 8;
inline vec vset1(float x) { return _mm256_set1_ps(x); }
inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float vfirst(vec v) { return _mm256_cvtss_f32(v); }
#else
typedef float vec __attribute__((vector_size(16)));
constexpr int W = 4;
inline vec vset1(float x) { return vec{} + x; }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline float vfirst(vec v) { return v[0]; }
#endif
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
