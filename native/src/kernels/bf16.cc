// bf16 conversions (fp32 → bf16 round-to-nearest-even, bf16 → fp32 exact) and the portable bf16 GEMM
// that every machine has: both operands widened to fp32, then this ISA's sgemm. The fast bf16 GEMMs
// (VDPBF16PS, AMX tiles) are gemm_bf16.cc's. Not VCVTNEPS2BF16: that instruction flushes denormal
// inputs to zero, and motif rounds them like PyTorch does so that both give the same bits.
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/simd.h"

// GCC 12's AVX-512 shift and convert intrinsics start from _mm512_undefined_*(), which -O3 reports
// as "may be used uninitialized" (GCC bug 105593, fixed in GCC 13): a false positive, silenced here only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace motif {
namespace MOTIF_ISA {
namespace {

/** The scalar rule, on the bit pattern: add half an ulp of bf16 (less one, plus the kept lsb, so that
 *  ties go to even) and drop the low 16 bits. Finite values past bf16's largest round to ±Inf, as
 *  IEEE round-to-nearest does. A NaN keeps its sign and top payload and is made quiet (bit 6) so that
 *  a payload living only in the low 16 bits cannot turn it into an infinity. */
inline uint16_t round_bf16(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace

void f32_to_bf16(uint16_t* dst, const float* src, size_t n) {
  size_t i = 0;
#if defined(MOTIF_SIMD_AVX512)
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000),
                bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  for (; i + 16 <= n; i += 16) {
    __m512i u = _mm512_loadu_si512(src + i);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
    __m512i hi = _mm512_srli_epi32(u, 16);
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, bias), _mm512_and_si512(hi, one)), 16);
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(hi, quiet));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm512_cvtepi32_epi16(r));
  }
#endif
  // The portable path (and the AVX-512 tail): GCC vectorizes this loop on AVX2 builds as well.
  for (; i < n; i++) {
    uint32_t u;
    std::memcpy(&u, src + i, 4);
    dst[i] = round_bf16(u);
  }
}

void bf16_to_f32(float* dst, const uint16_t* src, size_t n) {
  size_t i = 0;
#if defined(MOTIF_SIMD_AVX512)
  for (; i + 16 <= n; i += 16) {
    __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i)));
    _mm512_storeu_si512(dst + i, _mm512_slli_epi32(w, 16));
  }
#endif
  for (; i < n; i++) {
    uint32_t u = (uint32_t)src[i] << 16;
    std::memcpy(dst + i, &u, 4);
  }
}

void gemm_bf16(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
               const uint16_t* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.f) return sgemm(transA, transB, M, N, K, alpha, nullptr, 1, nullptr, 1, beta, C, ldc);
  // Widen each operand as stored into a dense fp32 copy (row stride = its row width): exact, so the
  // result differs from the fast paths only in the order of the fp32 sums.
  auto widen = [](const uint16_t* src, int rows, int cols, int ld) {
    std::vector<float> out((size_t)rows * cols);
    for (int r = 0; r < rows; r++) bf16_to_f32(out.data() + (size_t)r * cols, src + (size_t)r * ld, cols);
    return out;
  };
  int arows = transA ? K : M, acols = transA ? M : K, brows = transB ? N : K, bcols = transB ? K : N;
  std::vector<float> a = widen(A, arows, acols, lda), b = widen(B, brows, bcols, ldb);
  sgemm(transA, transB, M, N, K, alpha, a.data(), acols, b.data(), bcols, beta, C, ldc);
}

}  // namespace MOTIF_ISA
}  // namespace motif
