// The fast bf16 GEMMs, C (M, N) = alpha · op(A) · op(B) + beta · C with bf16 A, B and fp32 C and sums
// (contract in ../ops.h, GemmBf16): one on AVX512_BF16 dot products (VDPBF16PS), one on AMX tiles
// (TDPBF16PS). Both keep sgemm.cc's GotoBLAS structure (NC column panels, KC depth slices, MC row
// blocks, one block of C per thread) and differ in their micro-kernel and in how they pack op(A).
// Built by the avx512 build only, each kernel behind its target attribute; the portable path is bf16.cc's.
//
// Memory layout of the packed panels. Both instructions multiply PAIRS: the bf16 values of two
// consecutive k of one row of op(A) or of one column of op(B), held in one uint32 with the smaller k
// in the low half. A slice of kc depths becomes kcp = ceil(kc / 2) pairs, rounded up to the kernel's
// pair step (1 for VDPBF16PS, 16 = one tile's depth for AMX); pairs past kc, and rows or columns past
// the matrix, are zero, so every micro-kernel runs full tiles and reads no garbage (0 · NaN is NaN).
//
//   B panel (both kernels): NC/NR micro-panels; micro-panel q, shape (kcp, NR) row-major:
//       Bp[q·kcp + kp·NR + c] = pair(op(B)[k0 + 2kp, j0 + q + c], op(B)[k0 + 2kp + 1, j0 + q + c])
//     VDPBF16PS reads one row of it as NR/16 zmm (16 columns × 2 depths each); AMX reads 16 rows ×
//     16 columns of it as one B tile (its "VNNI" layout: a tile row is 16 pairs of one depth pair),
//     with a row stride of NR·4 bytes.
//   A panel, VDPBF16PS: MC/MR micro-panels of shape (kcp, MR): Ap[p·kcp + kp·MR + r] = pair of row
//     i0 + p + r at depths k0 + 2kp, +1; the kernel broadcasts one pair to all 16 lanes.
//   A panel, AMX: MC/MR micro-panels of shape (MR, kcp), i.e. rows of op(A) as pairs:
//     Ap[p·kcp + r·kcp + kp]; an A tile is 16 rows × 16 pairs of it, row stride kcp·4 bytes.
//
// Micro-tiles: VDPBF16PS keeps MR × NR = 8 × 48 of C in 24 zmm (as sgemm's 8 × 3 zmm); AMX keeps
// 32 × 32 of C in tiles 0–3 (2 × 2 tiles of 16 × 16 fp32), A in tiles 4–5, B in tiles 6–7, so one
// k step of 32 depths loads 4 tiles for 4 TDPBF16PS.
#include "kernels/kernels.h"
#include "kernels/simd.h"

#if defined(MOTIF_SIMD_AVX512) && defined(__x86_64__)
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/amx.h"
#include "kernels/gemm_grid.h"

namespace motif {
namespace MOTIF_ISA {
namespace {

/** An operand seen as a (K, J) matrix of depth k by column j: element (k, j) sits at
 *  p[k·ld + j] when k runs down the rows (kmajor), else at p[j·ld + k]. */
struct Operand {
  const uint16_t* p;
  int ld;
  bool kmajor;
};

/** The lanes of the 16-column vector starting at column `col` that lie inside n columns. */
inline __mmask16 column_mask(int n, int col) {
  int valid = std::max(0, std::min(16, n - col));
  return (__mmask16)((1u << valid) - 1u);
}

/** r[i][t] becomes r[t][i]: a 16 × 16 transpose of 32-bit elements (unpack within 128-bit lanes, then
 *  a 4 × 4 transpose of the lanes). */
// GCC 12's unpack intrinsics pass _mm512_undefined_epi32() (a self-initialised variable) as the unused
// merge source, which -Wmaybe-uninitialized reports once inlined here: a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline void transpose16(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int i = 0; i < 16; i += 2) {
    a[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    a[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  // b[4j + e], lane L: element 4L + e of rows 4j .. 4j + 3
  for (int j = 0; j < 16; j += 4) {
    b[j] = _mm512_unpacklo_epi64(a[j], a[j + 2]);
    b[j + 1] = _mm512_unpackhi_epi64(a[j], a[j + 2]);
    b[j + 2] = _mm512_unpacklo_epi64(a[j + 1], a[j + 3]);
    b[j + 3] = _mm512_unpackhi_epi64(a[j + 1], a[j + 3]);
  }
  for (int e = 0; e < 4; e++) {
    const __m512i c0 = _mm512_shuffle_i32x4(b[e], b[4 + e], 0x88);
    const __m512i c1 = _mm512_shuffle_i32x4(b[e], b[4 + e], 0xDD);
    const __m512i d0 = _mm512_shuffle_i32x4(b[8 + e], b[12 + e], 0x88);
    const __m512i d1 = _mm512_shuffle_i32x4(b[8 + e], b[12 + e], 0xDD);
    r[e] = _mm512_shuffle_i32x4(c0, d0, 0x88);
    r[4 + e] = _mm512_shuffle_i32x4(c1, d1, 0x88);
    r[8 + e] = _mm512_shuffle_i32x4(c0, d0, 0xDD);
    r[12 + e] = _mm512_shuffle_i32x4(c1, d1, 0xDD);
  }
}
#pragma GCC diagnostic pop

/** Pairs [0, kvec) (a multiple of 16) of n ≤ 16 columns whose depths are contiguous, the first at `first`,
 *  into panel rows of stride sk with the columns adjacent: 16 × 16 blocks turned in registers, where a
 *  pair at a time costs a load and a store each. */
void pack_pair_columns(const uint16_t* first, int ld, int n, int kvec, uint32_t* out, size_t sk) {
  const __mmask16 keep = column_mask(n, 0);
  for (int kb = 0; kb < kvec; kb += 16) {
    __m512i r[16];
    for (int i = 0; i < 16; i++)
      r[i] = i < n ? _mm512_loadu_si512(first + (size_t)i * ld + 2 * kb) : _mm512_setzero_si512();
    transpose16(r);
    for (int t = 0; t < 16; t++) _mm512_mask_storeu_epi32(out + (size_t)(kb + t) * sk, keep, r[t]);
  }
}

/** pack_pairs (below) when depths k and k + 1 are two rows of `s` and a panel's columns are adjacent
 *  (sc == 1): the two rows interleaved 16 columns at a time, one row pair across every panel before the
 *  next, so each row's columns of the block are read once, in one run, and fetched ahead. (Panel by panel,
 *  every panel walked all kc rows again; in the weight-gradient GEMMs packing took 29% of the time, its
 *  loads waiting on memory, perf.) Panel widths are multiples of 8 (static_assert in gemm_block); 16
 *  columns span two panels of 8. */
void pack_pair_rows(const Operand& s, int k0, int kc, int j0, int nc, int width, int kcp, uint32_t* dst, size_t sk) {
  const int ncp = (nc + width - 1) / width * width;  // through the last panel's padding columns
  // The rows are 2·ld bytes apart and a block reads only nc columns of each, too short a run for the
  // hardware prefetcher: without fetching ahead, the loads waited on L3 or memory.
  constexpr int PF = 16;
  for (int kp = 0; kp < kcp; kp++) {
    const int k = 2 * kp;
    const uint16_t* lo = k < kc ? s.p + (size_t)(k0 + k) * s.ld + j0 : nullptr;
    const uint16_t* hi = k + 1 < kc ? s.p + (size_t)(k0 + k + 1) * s.ld + j0 : nullptr;
    for (int c = 0; c < ncp; c += 16) {
      const __mmask16 in = column_mask(nc, c);
      // (maskz forms: the plain widening and shift pass GCC 12's self-initialised undefined vector, see transpose16)
      auto widen = [in](const uint16_t* row) { return _mm512_maskz_cvtepu16_epi32(in, _mm256_maskz_loadu_epi16(in, row)); };
      __m512i v = lo ? widen(lo + c) : _mm512_setzero_si512();
      if (hi) v = _mm512_or_si512(v, _mm512_maskz_slli_epi32(in, widen(hi + c), 16));
      if (hi && c % 32 == 0) {  // rows PF pairs ahead, one prefetch per cache line
        __builtin_prefetch(lo + (size_t)2 * PF * s.ld + c);
        __builtin_prefetch(hi + (size_t)2 * PF * s.ld + c);
      }
      uint32_t* out = dst + (size_t)(c / width * width) * kcp + (size_t)kp * sk + c % width;
      if (width % 16 == 0) {
        _mm512_storeu_si512(out, v);
      } else {  // width 8: the low half ends one panel's row, the high half is the next panel's
        // (maskz extracts: the plain extract and cast pass GCC 12's undefined vector, see transpose16; two
        // masked 512-bit stores instead were slower)
        _mm256_storeu_si256((__m256i*)out, _mm512_maskz_extracti64x4_epi64(0xFF, v, 0));
        if (c + 8 < ncp)
          _mm256_storeu_si256((__m256i*)(out + (size_t)8 * kcp), _mm512_maskz_extracti64x4_epi64(0xFF, v, 1));
      }
    }
  }
}

/** Packs depths [k0, k0 + kc) and columns [j0, j0 + nc) of `s` as pairs into micro-panels of `width`
 *  columns, kcp pairs deep: panel q (q a multiple of width) at dst + q·kcp, its pair (kp, c) at
 *  kp·sk + c·sc. Every slot of every panel is written, padding with zeros. */
void pack_pairs(const Operand& s, int k0, int kc, int j0, int nc, int width, int kcp, uint32_t* dst, size_t sk,
                size_t sc) {
  if (s.kmajor && sc == 1) return pack_pair_rows(s, k0, kc, j0, nc, width, kcp, dst, sk);
  const int full = kc / 2;  // pairs with both depths inside the slice
  for (int q = 0; q < nc; q += width) {
    uint32_t* P = dst + (size_t)q * kcp;
    const int w = std::min(width, nc - q);
    if (s.kmajor) {
      // Depths k and k + 1 are two rows: interleave them column by column.
      for (int kp = 0; kp < kcp; kp++) {
        const int k = 2 * kp;
        const uint16_t* lo = k < kc ? s.p + (size_t)(k0 + k) * s.ld + j0 + q : nullptr;
        const uint16_t* hi = k + 1 < kc ? s.p + (size_t)(k0 + k + 1) * s.ld + j0 + q : nullptr;
        uint32_t* out = P + (size_t)kp * sk;
        int c = 0;  // (scalar: only AMX's A panels, whose columns are kcp apart)
        if (lo && hi)
          for (; c < w; c++) out[c * sc] = lo[c] | (uint32_t)hi[c] << 16;
        else if (lo)
          for (; c < w; c++) out[c * sc] = lo[c];
        for (; c < width; c++) out[c * sc] = 0;
      }
    } else {
      // Depths k and k + 1 of a column are adjacent in memory: one 32-bit load is the pair. With the
      // columns adjacent in the panel (sc == 1), whole blocks of 16 pairs go through registers first.
      const int kvec = sc == 1 ? full / 16 * 16 : 0;
      for (int c = 0; kvec && c < w; c += 16)
        pack_pair_columns(s.p + (size_t)(j0 + q + c) * s.ld + k0, s.ld, std::min(16, w - c), kvec, P + c, sk);
      for (int c = 0; c < width; c++) {
        uint32_t* out = P + (size_t)c * sc;
        int kp = 0;
        if (c < w) {
          kp = kvec;
          const uint16_t* col = s.p + (size_t)(j0 + q + c) * s.ld + k0;
          for (; kp < full; kp++) std::memcpy(out + (size_t)kp * sk, col + 2 * kp, 4);
          if (kc % 2) out[(size_t)kp++ * sk] = col[kc - 1];
        }
        for (; kp < kcp; kp++) out[(size_t)kp * sk] = 0;
      }
    }
  }
}

/** C[r, 0 .. 16) under `mask` = alpha·acc + beta·C, never reading C when beta == 0. */
inline void update_row(float* c, __m512 acc, float alpha, float beta, __mmask16 mask) {
  __m512 v = _mm512_mul_ps(_mm512_set1_ps(alpha), acc);
  if (beta != 0.f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c), v);
  _mm512_mask_storeu_ps(c, mask, v);
}

// ---- VDPBF16PS ----------------------------------------------------------------------------------

struct Dpbf16 {
  static constexpr int MR = 8, NV = 3, NR = 16 * NV, KP_STEP = 1;
  // KC and NC as sgemm's avx512 blocking (measured on Zen 4/5), in depths: a pair is two of them. MC 128
  // (sgemm's 64): an A block of bf16 pairs is half the bytes, and a transposed A's rows are read in runs of
  // MC columns, which at 64 were too short to stream (bwd dW 2048 × 384 × 4096: 273 → 351 GFLOP/s, 1 thread).
  static constexpr int KC = 768, MC = 128, NC = 1536;

  static void begin() {}
  static void end() {}
  static void pack_a(const Operand& a, int i0, int mc, int k0, int kc, int kcp, uint32_t* Ap) {
    pack_pairs(a, k0, kc, i0, mc, MR, kcp, Ap, MR, 1);
  }
  static void tile(int kcp, const uint32_t* Ap, const uint32_t* Bp, float* C, int ldc, float alpha, float beta,
                   int m, int n);
};

__attribute__((target("avx512bf16"))) void Dpbf16::tile(int kcp, const uint32_t* __restrict Ap,
                                                        const uint32_t* __restrict Bp, float* C, int ldc,
                                                        float alpha, float beta, int m, int n) {
  prefetch_tile(C, ldc, m, n);
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int kp = 0; kp < kcp; kp++, Ap += MR, Bp += NR) {
    __m512bh b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) b[v] = (__m512bh)_mm512_loadu_si512(Bp + v * 16);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      __m512bh a = (__m512bh)_mm512_set1_epi32((int)Ap[r]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], a, b[v]);
    }
  }
  for (int r = 0; r < m; r++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++)
      if (__mmask16 mask = column_mask(n, v * 16)) update_row(C + (size_t)r * ldc + v * 16, acc[r][v], alpha, beta, mask);
}

// ---- AMX ----------------------------------------------------------------------------------------

struct Amx {
  static constexpr int MR = 2 * kTileRows, NR = 2 * kTileRows, KP_STEP = kTileBytes / 4;
  // A micro-panel is MR·KC/2 pairs = 64 KiB, B's the same: both stay in a 2 MiB L2 with the block.
  static constexpr int KC = 1024, MC = 128, NC = 1024;

  static void begin() { amx_configure(); }
  static void end() { amx_release(); }
  static void pack_a(const Operand& a, int i0, int mc, int k0, int kc, int kcp, uint32_t* Ap) {
    pack_pairs(a, k0, kc, i0, mc, MR, kcp, Ap, 1, (size_t)kcp);
  }
  static void tile(int kcp, const uint32_t* Ap, const uint32_t* Bp, float* C, int ldc, float alpha, float beta,
                   int m, int n);
};

/** Tiles 0–3 = the 32 × 32 product of one A and one B micro-panel, stored row-major into `out`. */
__attribute__((target("amx-tile,amx-bf16"))) void amx_product(int kcp, const uint32_t* Ap, const uint32_t* Bp,
                                                               float* out) {
  const long sa = (long)kcp * 4, sb = (long)Amx::NR * 4, so = (long)Amx::NR * 4;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int kk = 0; kk < kcp; kk += Amx::KP_STEP) {
    _tile_loadd(4, Ap + kk, sa);                                // rows 0–15 of A, 32 depths
    _tile_loadd(5, Ap + (size_t)kTileRows * kcp + kk, sa);      // rows 16–31
    _tile_loadd(6, Bp + (size_t)kk * Amx::NR, sb);              // 32 depths of columns 0–15
    _tile_loadd(7, Bp + (size_t)kk * Amx::NR + kTileRows, sb);  // columns 16–31
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, out, so);
  _tile_stored(1, out + kTileRows, so);
  _tile_stored(2, out + kTileRows * Amx::NR, so);
  _tile_stored(3, out + kTileRows * Amx::NR + kTileRows, so);
}

void Amx::tile(int kcp, const uint32_t* Ap, const uint32_t* Bp, float* C, int ldc, float alpha, float beta, int m,
               int n) {
  alignas(64) float out[MR * NR];
  amx_product(kcp, Ap, Bp, out);
  for (int r = 0; r < m; r++)
    for (int v = 0; v < NR / 16; v++)
      if (__mmask16 mask = column_mask(n, v * 16))
        update_row(C + (size_t)r * ldc + v * 16, _mm512_load_ps(out + r * NR + v * 16), alpha, beta, mask);
}

// ---- the blocked driver, shared ----------------------------------------------------------------

struct Problem {
  Operand a, b;  // op(A) as (K, M) columns i, op(B) as (K, N) columns j
  int M, N, K;
  float alpha, beta;
  float* C;
  int ldc;
};

/** Per-thread panels of one kernel, allocated once at their largest (pool threads persist). */
template <class Kern>
struct Panels {
  uint32_t* a = static_cast<uint32_t*>(std::aligned_alloc(64, sizeof(uint32_t) * Kern::MC * (Kern::KC / 2)));
  uint32_t* b = static_cast<uint32_t*>(std::aligned_alloc(64, sizeof(uint32_t) * Kern::NC * (Kern::KC / 2)));
  Panels() {
    if (!a || !b) std::abort();
  }
  ~Panels() {
    std::free(a);
    std::free(b);
  }
};

template <class Kern>
void gemm_block(const Problem& g, int m0, int m1, int n0, int n1) {
  static_assert(Kern::MC % Kern::MR == 0 && Kern::NC % Kern::NR == 0 && Kern::KC % (2 * Kern::KP_STEP) == 0,
                "blocks must hold whole micro-panels and whole pair steps");
  static_assert(Kern::MR % 8 == 0 && Kern::NR % 8 == 0, "pack_pair_rows stores 8 or 16 columns at a time");
  static thread_local Panels<Kern> panels;
  // Equal depth slices (K = 1000 runs as 2 × 500, not 768 + 232), each a whole number of pair steps.
  constexpr int kstep = 2 * Kern::KP_STEP;
  int ksteps = (g.K + Kern::KC - 1) / Kern::KC;
  int kc_even = ((g.K + ksteps - 1) / ksteps + kstep - 1) / kstep * kstep;
  Kern::begin();
  for (int jc = n0; jc < n1; jc += Kern::NC) {
    int nc = std::min(Kern::NC, n1 - jc);
    for (int pc = 0; pc < g.K; pc += kc_even) {
      int kc = std::min(kc_even, g.K - pc);
      int kcp = ((kc + 1) / 2 + Kern::KP_STEP - 1) / Kern::KP_STEP * Kern::KP_STEP;
      float beta = pc == 0 ? g.beta : 1.f;
      pack_pairs(g.b, pc, kc, jc, nc, Kern::NR, kcp, panels.b, Kern::NR, 1);
      for (int ic = m0; ic < m1; ic += Kern::MC) {
        int mc = std::min(Kern::MC, m1 - ic);
        Kern::pack_a(g.a, ic, mc, pc, kc, kcp, panels.a);
        for (int jr = 0; jr < nc; jr += Kern::NR)
          for (int ir = 0; ir < mc; ir += Kern::MR)
            Kern::tile(kcp, panels.a + (size_t)ir * kcp, panels.b + (size_t)jr * kcp,
                       g.C + (size_t)(ic + ir) * g.ldc + jc + jr, g.ldc, g.alpha, beta, std::min(Kern::MR, mc - ir),
                       std::min(Kern::NR, nc - jr));
      }
    }
  }
  Kern::end();
}

template <class Kern>
void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda, const uint16_t* B,
          int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  // Nothing to multiply: C = beta·C without reading A or B, as the portable path does it.
  if (K <= 0 || alpha == 0.f) return gemm_bf16(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  // op(A)[i, k] is A[i·lda + k], or A[k·lda + i] when transposed: depth runs down A's rows then.
  Problem g{{A, lda, transA}, {B, ldb, !transB}, M, N, K, alpha, beta, C, ldc};
  gemm_parallel(M, N, K, Kern::MR, Kern::NR, [&](int m0, int m1, int n0, int n1) { gemm_block<Kern>(g, m0, m1, n0, n1); });
}

}  // namespace

void gemm_bf16_dpbf16(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                      const uint16_t* B, int ldb, float beta, float* C, int ldc) {
  gemm<Dpbf16>(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_bf16_amx(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                   const uint16_t* B, int ldb, float beta, float* C, int ldc) {
  gemm<Amx>(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace MOTIF_ISA
}  // namespace motif
#endif
