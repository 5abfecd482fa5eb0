// The vector type of this ISA build and the handful of operations the hand-vectorized kernels use
// (sgemm, attention, the peak probe): __m512 under AVX-512, __m256 under AVX2/FMA, otherwise a
// GCC/Clang 16-byte vector (SSE2 on x86-64, NEON on ARM, scalar code elsewhere). Each kernel picks its
// own register blocking from W and the MOTIF_SIMD_* macro; this file only names the instructions.
#pragma once
#if defined(__AVX512F__)
#define MOTIF_SIMD_AVX512 1
#include <immintrin.h>
#elif defined(__AVX2__) && defined(__FMA__)
#define MOTIF_SIMD_AVX2 1
#include <immintrin.h>
#else
#define MOTIF_SIMD_PORTABLE 1
#endif

#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

#if defined(MOTIF_SIMD_AVX512)
using vec = __m512;
constexpr int W = 16;
inline vec vload(const float* p) { return _mm512_load_ps(p); }  // p aligned to 64 bytes
inline vec vloadu(const float* p) { return _mm512_loadu_ps(p); }
inline void vstoreu(float* p, vec v) { _mm512_storeu_ps(p, v); }
inline vec vset1(float x) { return _mm512_set1_ps(x); }
inline vec vzero() { return _mm512_setzero_ps(); }
inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline vec vadd(vec a, vec b) { return _mm512_add_ps(a, b); }
inline float vfirst(vec v) { return _mm512_cvtss_f32(v); }
#elif defined(MOTIF_SIMD_AVX2)
using vec = __m256;
constexpr int W = 8;
inline vec vload(const float* p) { return _mm256_load_ps(p); }  // p aligned to 32 bytes
inline vec vloadu(const float* p) { return _mm256_loadu_ps(p); }
inline void vstoreu(float* p, vec v) { _mm256_storeu_ps(p, v); }
inline vec vset1(float x) { return _mm256_set1_ps(x); }
inline vec vzero() { return _mm256_setzero_ps(); }
inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline vec vadd(vec a, vec b) { return _mm256_add_ps(a, b); }
inline float vfirst(vec v) { return _mm256_cvtss_f32(v); }
#else
typedef float vec __attribute__((vector_size(16)));
typedef float vec_unaligned __attribute__((vector_size(16), aligned(4)));
constexpr int W = 4;
inline vec vload(const float* p) { return *reinterpret_cast<const vec*>(p); }  // p aligned to 16 bytes
inline vec vloadu(const float* p) { return *reinterpret_cast<const vec_unaligned*>(p); }
inline void vstoreu(float* p, vec v) { *reinterpret_cast<vec_unaligned*>(p) = v; }
inline vec vset1(float x) { return vec{} + x; }
inline vec vzero() { return vec{}; }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline vec vadd(vec a, vec b) { return a + b; }
inline float vfirst(vec v) { return v[0]; }
#endif

/** Sum of the W lanes of v (dot products of the few-row kernels). */
inline float vsum(vec v) {
  alignas(64) float lanes[W];
  vstoreu(lanes, v);
  float s = 0.f;
  for (int l = 0; l < W; l++) s += lanes[l];
  return s;
}

}  // namespace MOTIF_ISA
}  // namespace motif
