// SGEMM, the hot path of the model: GotoBLAS/BLIS structure — C is cut into NC-wide column panels,
// K into KC slices and M into MC blocks; op(B) and alpha·op(A) are packed into NR- and MR-wide
// micro-panels, and a micro-kernel keeps an MR×NR block of C in registers for a whole KC slice.
// One source for every ISA: the vector type is __m512 (AVX-512), __m256 (AVX2/FMA) or a portable
// GCC vector (SSE2 / NEON / scalar). Threads split C into disjoint blocks, each packing its own panels.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/gemm_grid.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace motif {
namespace MOTIF_ISA {
namespace {

// MR rows × NV vectors of C live in registers: MR·NV accumulators + NV loads of B + 1 broadcast
// must fit the register file (32 zmm, 16 ymm, 16 xmm on x86-64 baseline). KC·NR (the B micro-panel)
// and MC·KC (the A block) aim at L2; among 12×2, 14×2, 6×4 and 8×3 zmm and KC 192..1024, 8×3 with
// KC 768 measured best on an AMD EPYC (Zen 4): a large KC also means fewer passes over C.
#if defined(MOTIF_SIMD_AVX512)
constexpr int MR = 8, NV = 3, KC = 768, MC = 64, NC = 2016;
#elif defined(MOTIF_SIMD_AVX2)
constexpr int MR = 6, NV = 2, KC = 256, MC = 120, NC = 4096;
#else
constexpr int MR = 4, NV = 2, KC = 256, MC = 128, NC = 2048;
#endif
constexpr int NR = W * NV;
static_assert(MC % MR == 0 && NC % NR == 0, "blocks must hold whole micro-panels");

struct Gemm {
  bool transA, transB;
  int M, N, K;
  float alpha;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float beta;
  float* C;
  int ldc;
};

// Per-thread packing buffers, allocated once at their largest size (pool threads are persistent).
struct Panels {
  float* a = nullptr;  // (MC, KC) as MC/MR micro-panels of (KC, MR)
  float* b = nullptr;  // (KC, NC) as NC/NR micro-panels of (KC, NR)
  Panels() {
    a = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * MC * KC));
    b = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * KC * NC));
    if (!a || !b) std::abort();
  }
  ~Panels() {
    std::free(a);
    std::free(b);
  }
};

// Packing the operand whose rows run along k (op(A) untransposed, op(B) transposed) is a transpose.
// transpose_rows writes dst[k·ldd + r] = scale·src[r·ld + k] for k < kc and r < rows, with
// rows ≤ TR and rows past `valid` zero; on x86 it moves 8×8 blocks through registers.
#if defined(__AVX2__)
constexpr int TR = 8;
inline void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}
#else
constexpr int TR = 4;
#endif
void transpose_rows(const float* src, size_t ld, int rows, int valid, int kc, float scale, float* dst, size_t ldd) {
  int k = 0;
#if defined(__AVX2__)
  __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 vs = _mm256_set1_ps(scale);
  for (; k + 8 <= kc; k += 8) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < valid ? _mm256_mul_ps(vs, _mm256_loadu_ps(src + i * ld + k)) : _mm256_setzero_ps();
    transpose8x8(r);
    for (int i = 0; i < 8; i++) {
      if (rows == 8)
        _mm256_storeu_ps(dst + (size_t)(k + i) * ldd, r[i]);
      else
        _mm256_maskstore_ps(dst + (size_t)(k + i) * ldd, mask, r[i]);
    }
  }
#endif
  for (; k < kc; k++)
    for (int i = 0; i < rows; i++) dst[(size_t)k * ldd + i] = i < valid ? scale * src[i * ld + k] : 0.f;
}

// Rows [i0, i0+mc) and depth [k0, k0+kc) of alpha·op(A) into Ap: micro-panel p holds
// Ap[p·kc + k·MR + r] = alpha·op(A)[i0+p+r, k0+k], rows past mc zero.
void pack_a(const Gemm& g, int i0, int mc, int k0, int kc, float* Ap) {
  if (g.transA) {
    // Row k of op(A)ᵀ is contiguous: read it once, deal it out to the micro-panels.
    for (int k = 0; k < kc; k++) {
      const float* src = g.A + (size_t)(k0 + k) * g.lda + i0;
      for (int p = 0; p < mc; p += MR) {
        float* dst = Ap + (size_t)p * kc + (size_t)k * MR;
        if (mc - p >= MR) {
          for (int r = 0; r < MR; r++) dst[r] = g.alpha * src[p + r];
        } else {
          int r = 0;
          for (; r < mc - p; r++) dst[r] = g.alpha * src[p + r];
          for (; r < MR; r++) dst[r] = 0.f;
        }
      }
    }
  } else {
    for (int p = 0; p < mc; p += MR)
      for (int r = 0; r < MR; r += TR)
        transpose_rows(g.A + (size_t)(i0 + p + r) * g.lda + k0, g.lda, std::min(TR, MR - r),
                       std::max(0, std::min(TR, mc - p - r)), kc, g.alpha, Ap + (size_t)p * kc + r, MR);
  }
}

// Depth [k0, k0+kc) and columns [j0, j0+nc) of op(B) into Bp: micro-panel q holds
// Bp[q·kc + k·NR + c] = op(B)[k0+k, j0+q+c], columns past nc zero.
void pack_b(const Gemm& g, int k0, int kc, int j0, int nc, float* Bp) {
  if (g.transB) {
    for (int q = 0; q < nc; q += NR)
      for (int c = 0; c < NR; c += TR)
        transpose_rows(g.B + (size_t)(j0 + q + c) * g.ldb + k0, g.ldb, std::min(TR, NR - c),
                       std::max(0, std::min(TR, nc - q - c)), kc, 1.f, Bp + (size_t)q * kc + c, NR);
  } else {
    for (int k = 0; k < kc; k++) {
      const float* src = g.B + (size_t)(k0 + k) * g.ldb + j0;
      for (int q = 0; q < nc; q += NR) {
        float* dst = Bp + (size_t)q * kc + (size_t)k * NR;
        int n = std::min(NR, nc - q);
        std::memcpy(dst, src + q, sizeof(float) * n);
        if (n < NR) std::memset(dst + n, 0, sizeof(float) * (NR - n));
      }
    }
  }
}

// C (MR, NR) = Ap·Bp + beta·C over one KC slice; beta == 0 never reads C (it may hold NaNs).
inline void micro_kernel(int kc, const float* __restrict Ap, const float* __restrict Bp, float* C, int ldc,
                         float beta) {
  // C is needed only after the k loop: start bringing it in now so its misses overlap the FMAs.
  prefetch_tile(C, ldc, MR, NR);
  vec acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = vzero();
  for (int k = 0; k < kc; k++, Ap += MR, Bp += NR) {
    vec b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = vload(Bp + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      vec a = vset1(Ap[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = vfma(a, b[v], acc[r][v]);
    }
  }
  if (beta == 0.f) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) vstoreu(C + (size_t)r * ldc + v * W, acc[r][v]);
  } else if (beta == 1.f) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* c = C + (size_t)r * ldc + v * W;
        vstoreu(c, vadd(vloadu(c), acc[r][v]));
      }
  } else {
    vec vb = vset1(beta);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* c = C + (size_t)r * ldc + v * W;
        vstoreu(c, vfma(vb, vloadu(c), acc[r][v]));
      }
  }
}

// A partial tile (m < MR or n < NR) goes through a scratch tile so the kernel never writes past C.
void edge_tile(int kc, const float* Ap, const float* Bp, float* C, int ldc, float beta, int m, int n) {
  alignas(64) float tile[MR * NR];
  micro_kernel(kc, Ap, Bp, tile, NR, 0.f);
  for (int r = 0; r < m; r++)
    for (int c = 0; c < n; c++) {
      float* dst = C + (size_t)r * ldc + c;
      *dst = tile[r * NR + c] + (beta == 0.f ? 0.f : beta * *dst);
    }
}

// The block rows [m0, m1) × columns [n0, n1) of C, on the calling thread.
void gemm_block(const Gemm& g, int m0, int m1, int n0, int n1) {
  static thread_local Panels panels;
  int ksteps = (g.K + KC - 1) / KC;
  int kc_even = (g.K + ksteps - 1) / ksteps;  // equal slices: K = 1000 runs as 2 × 500, not 768 + 232
  for (int jc = n0; jc < n1; jc += NC) {
    int nc = std::min(NC, n1 - jc);
    for (int pc = 0; pc < g.K; pc += kc_even) {
      int kc = std::min(kc_even, g.K - pc);
      float beta = pc == 0 ? g.beta : 1.f;
      pack_b(g, pc, kc, jc, nc, panels.b);
      for (int ic = m0; ic < m1; ic += MC) {
        int mc = std::min(MC, m1 - ic);
        pack_a(g, ic, mc, pc, kc, panels.a);
        for (int jr = 0; jr < nc; jr += NR) {
          const float* Bp = panels.b + (size_t)jr * kc;
          int n = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const float* Ap = panels.a + (size_t)ir * kc;
            float* C = g.C + (size_t)(ic + ir) * g.ldc + jc + jr;
            int m = std::min(MR, mc - ir);
            if (m == MR && n == NR)
              micro_kernel(kc, Ap, Bp, C, g.ldc, beta);
            else
              edge_tile(kc, Ap, Bp, C, g.ldc, beta, m, n);
          }
        }
      }
    }
  }
}

// C = beta·C, for K == 0 or alpha == 0 (BLAS semantics: A and B are not read).
void scale_c(const Gemm& g) {
  for (int i = 0; i < g.M; i++) {
    float* c = g.C + (size_t)i * g.ldc;
    for (int j = 0; j < g.N; j++) c[j] = g.beta == 0.f ? 0.f : g.beta * c[j];
  }
}

}  // namespace

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  Gemm g{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  if (K <= 0 || alpha == 0.f) return scale_c(g);

  gemm_parallel(M, N, K, MR, NR, [&](int m0, int m1, int n0, int n1) { gemm_block(g, m0, m1, n0, n1); });
}

}  // namespace MOTIF_ISA
}  // namespace motif
