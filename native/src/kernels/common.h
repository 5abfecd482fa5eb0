// Inline helpers shared by the layer kernels of one ISA build: the dropout hash (one definition, so
// dropout_* and attention agree on every mask bit, and src/model/reference-kernels.ts mirrors it
// exactly), a vectorizable exp and erfc, 16-lane float reductions, and a reproducible chunked
// reduction over the thread pool.
// Not a math library: the approximations are accurate to float32 rounding, no further.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "threads.h"

namespace motif {
namespace MOTIF_ISA {

// ---- dropout mask: counter-based hash of (seed, element index) --------------------------------
// Element i (64-bit) is kept iff fmix32(lo32(i)·G ^ key(seed, hi32(i))) ≥ threshold(p), so the keep
// rate is 1 - threshold/2³². 32-bit multiplies only, because AVX2 has no 64-bit vector multiply.

constexpr uint32_t kHashGolden = 0x9e3779b9u;

/** MurmurHash3's 32-bit finalizer: a bijection with full avalanche. */
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/** The per-call key for the indices whose high 32 bits are `hi`. */
inline uint32_t dropout_key(uint64_t seed, uint32_t hi) {
  return fmix32((uint32_t)seed ^ fmix32((uint32_t)(seed >> 32) + kHashGolden * (hi + 1)));
}

/** Indices hashing at or above this are kept: round(p·2³²) clamped to [0, 2³² - 1]. */
inline uint32_t dropout_threshold(float p) {
  if (!(p > 0.f)) return 0;
  if (p >= 1.f) return 0xffffffffu;
  return (uint32_t)std::min(4294967295.0, (double)p * 4294967296.0 + 0.5);
}

/** Inverted-dropout scale of kept elements (0 when everything is dropped). */
inline float dropout_scale(float p) { return p < 1.f ? 1.f / (1.f - p) : 0.f; }

/** scale if element (key, lo) survives, else 0. */
inline float dropout_keep(uint32_t key, uint32_t lo, uint32_t threshold, float scale) {
  return fmix32((lo * kHashGolden) ^ key) >= threshold ? scale : 0.f;
}

/** Calls fn(key, lo, offset, count) over [start, start + n) split where the high 32 bits change. */
template <typename Fn>
inline void dropout_spans(uint64_t seed, uint64_t start, uint64_t n, Fn fn) {
  uint64_t done = 0;
  while (done < n) {
    uint64_t i = start + done;
    uint64_t room = (uint64_t)1 << 32;
    room -= (uint32_t)i;  // elements left before the high word changes
    uint64_t count = std::min(n - done, room);
    fn(dropout_key(seed, (uint32_t)(i >> 32)), (uint32_t)i, done, count);
    done += count;
  }
}

// ---- vectorizable transcendental functions ------------------------------------------------------
// Branch-free float code the compiler can vectorize (libm calls block vectorization without
// -ffast-math). The round-to-nearest uses the 1.5·2²³ trick because floor() is a libcall on plain SSE2.

inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

/** e^x with relative error ~2e-7 (Cephes expf); 0 below -87.3 (including -inf). */
inline float exp_approx(float x) {
  const float xc = std::min(std::max(x, -87.3f), 88.3f);
  const float magic = 12582912.0f;  // 1.5·2²³: adding and subtracting rounds to an integer
  const float n = (xc * 1.44269504088896341f + magic) - magic;
  float r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.f;
  const float pow2n = bits_to_float((uint32_t)((int32_t)n + 127) << 23);
  // A bit mask rather than `?:`, which GCC does not always if-convert inside larger loops.
  const uint32_t in_range = 0u - (uint32_t)(x >= -87.3f);
  return bits_to_float(float_to_bits(y * pow2n) & in_range);
}

/** p[j] = e^(p[j]·scale - shift) for j < n; kept out of line so that it vectorizes in any caller. */
__attribute__((noinline)) inline void exp_row(float* __restrict p, int n, float scale, float shift) {
  for (int j = 0; j < n; j++) p[j] = exp_approx(p[j] * scale - shift);
}

/** erfc(x) with relative error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit `erfcc`). */
inline float erfc_approx(float x) {
  const float z = std::fabs(x);
  const float t = 1.f / (1.f + 0.5f * z);
  float y = 0.17087277f;
  y = y * t - 0.82215223f;
  y = y * t + 1.48851587f;
  y = y * t - 1.13520398f;
  y = y * t + 0.27886807f;
  y = y * t - 0.18628806f;
  y = y * t + 0.09678418f;
  y = y * t + 0.37409196f;
  y = y * t + 1.00002368f;
  y = y * t - 1.26551223f;
  const float r = t * exp_approx(y - z * z);
  return x >= 0.f ? r : 2.f - r;
}

// ---- float reductions the compiler vectorizes -----------------------------------------------------
// Without -ffast-math a single float accumulator is a serial dependency chain; 16 independent lanes
// let GCC keep them in vector registers on every ISA.

constexpr int kLanes = 16;

/** Σ_{i<n} term(i) over 16 lanes. */
template <typename Term>
inline float lane_sum(int n, Term term) {
  float acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; k++) acc[k] += term(i + k);
  float s = 0.f;
  for (; i < n; i++) s += term(i);
  for (int k = 0; k < kLanes; k++) s += acc[k];
  return s;
}

/** max_{i<n} x[i] over 16 lanes (-inf when n = 0). */
inline float lane_max(const float* x, int n) {
  float acc[kLanes];
  for (int k = 0; k < kLanes; k++) acc[k] = -INFINITY;
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; k++) acc[k] = std::max(acc[k], x[i + k]);
  float m = -INFINITY;
  for (; i < n; i++) m = std::max(m, x[i]);
  for (int k = 0; k < kLanes; k++) m = std::max(m, acc[k]);
  return m;
}

// ---- reproducible parallel reductions -----------------------------------------------------------

/** Number of chunks chunked_for will use for n items of at least `grain` each. */
inline int chunk_count(int64_t n, int64_t grain) {
  int64_t by_grain = (n + grain - 1) / std::max<int64_t>(1, grain);
  return (int)std::max<int64_t>(1, std::min<int64_t>(num_threads(), by_grain));
}

/** Runs fn(chunk, begin, end) over `chunks` equal parts of [0, n) in parallel. The partition depends
 *  only on n and chunks, so per-chunk partial sums combined in chunk order are reproducible. */
template <typename Fn>
inline void chunked_for(int64_t n, int chunks, Fn fn) {
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; k++) fn((int)k, n * k / chunks, n * (k + 1) / chunks);
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
