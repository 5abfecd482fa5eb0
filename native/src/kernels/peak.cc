// The peak-FLOPs probe: a register-only loop of independent FMA chains, enough of them to cover
// FMA latency × FMA ports (Zen 5: 4 cycles × 2 ports → ≥ 8; 12 leaves slack), widest vectors of
// the ISA. It measures arithmetic throughput only — no memory traffic — as the yardstick for MFU.
// The avx512 build adds the same yardstick for bf16: VDPBF16PS chains and a TDPBF16PS tile loop.
#include "kernels/amx.h"
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

#if defined(MOTIF_SIMD_AVX512) && defined(__x86_64__)
__attribute__((target("avx512bf16"))) double dpbf16_peak_loop(int64_t iters) {
  // Pairs (1, -1) · (1, 1) add exactly 0: the accumulators never change, whatever the count. The CPU
  // cannot know that in advance, and the compiler does not fold the builtin.
  __m512 acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = vset1(1.f + 0.01f * (float)i);
  const __m512bh a = (__m512bh)_mm512_set1_epi32((int)0xbf803f80u), b = (__m512bh)_mm512_set1_epi32(0x3f803f80);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  }
  float sum = 0;
  for (int i = 0; i < CHAINS; i++) sum += vfirst(acc[i]);
  volatile float sink = sum;
  (void)sink;
  return 2.0 * 2 * W * CHAINS * (double)iters;  // 16 lanes × 2 products, a multiply and an add each
}

__attribute__((target("amx-tile,amx-bf16"))) double amx_bf16_peak_loop(int64_t iters) {
  // Four independent accumulator tiles (as the GEMM's 2 × 2) cover TDPBF16PS's latency. Operands as
  // in the VDPBF16PS loop: A pairs (1, -1), B pairs (1, 1), so every product sums to exactly 0.
  alignas(64) static const struct Operands {
    uint32_t a[kTileRows * kTileBytes / 4], b[kTileRows * kTileBytes / 4];
    Operands() {
      for (uint32_t& x : a) x = 0xbf803f80u;
      for (uint32_t& x : b) x = 0x3f803f80u;
    }
  } ops;
  amx_configure();
  _tile_loadd(4, ops.a, kTileBytes);
  _tile_loadd(5, ops.a, kTileBytes);
  _tile_loadd(6, ops.b, kTileBytes);
  _tile_loadd(7, ops.b, kTileBytes);
  for (int64_t it = 0; it < iters; it++) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  amx_release();
  // Each: (16 rows × 32 depths) · (32 depths × 16 columns), a multiply and an add per term.
  return 4.0 * 2 * kTileRows * 32 * kTileRows * (double)iters;
}
#endif

}  // namespace MOTIF_ISA
}  // namespace motif
