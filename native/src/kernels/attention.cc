// Causal multi-head self-attention, forward beside backward, block-wise in the manner of
// FlashAttention-2: tiles of QB queries × KB keys with an online softmax, so memory is O(T) per head
// and the (T, T) score matrix never exists. The backward recomputes the probabilities from q, k and
// the saved lse, with D = rowsum(dO ∘ O). Dropout on the probabilities uses common.h's hash at index
// ((b·NH + h)·T + i)·T + j, exactly like dropout_forward. Not cross-attention; the KV-cache step is attention_cached.cc.
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"


namespace motif {
namespace MOTIF_ISA {
namespace {

constexpr int QB = 64;  // queries per tile
constexpr int KB = 64;  // keys per tile (a multiple of every vector width)

// Register blocks: accumulators must fit the vector register file.
#if defined(MOTIF_SIMD_AVX512)
constexpr int kMaxRows = 6, kMaxVecs = 4;  // 24 accumulators of the 32 vector registers
#elif defined(MOTIF_SIMD_AVX2)
constexpr int kMaxRows = 6, kMaxVecs = 2;  // 12 accumulators of the 16 vector registers
#else
constexpr int kMaxRows = 4, kMaxVecs = 2;  // 8 accumulators of the 16 SSE registers
#endif

// Register block of RR rows × NV vectors: out (+)= A · Bm over K, A read with strides (ars, aks).
template <int RR, int NV>
void micro(float* out, int ldo, const float* A, int ars, int aks, const float* Bm, int ldb, int K, bool accumulate) {
  vec c[RR][NV];
  for (int r = 0; r < RR; r++)
    for (int v = 0; v < NV; v++) c[r][v] = accumulate ? vloadu(out + r * ldo + v * W) : vzero();
  for (int k = 0; k < K; k++) {
    vec b[NV];
    for (int v = 0; v < NV; v++) b[v] = vloadu(Bm + (size_t)k * ldb + v * W);
    for (int r = 0; r < RR; r++) {
      const vec a = vset1(A[r * ars + k * aks]);
      for (int v = 0; v < NV; v++) c[r][v] = vfma(a, b[v], c[r][v]);
    }
  }
  for (int r = 0; r < RR; r++)
    for (int v = 0; v < NV; v++) vstoreu(out + r * ldo + v * W, c[r][v]);
}

using MicroFn = void (*)(float*, int, const float*, int, int, const float*, int, int, bool);

// kMicro[rows - 1][vecs - 1] = micro<rows, vecs> for every block shape up to kMaxRows × kMaxVecs.
template <int RR, int... V>
constexpr std::array<MicroFn, kMaxVecs> micro_row(std::integer_sequence<int, V...>) {
  return {micro<RR, V + 1>...};
}
template <int... R>
constexpr std::array<std::array<MicroFn, kMaxVecs>, kMaxRows> micro_table(std::integer_sequence<int, R...>) {
  return {micro_row<R + 1>(std::make_integer_sequence<int, kMaxVecs>{})...};
}
constexpr auto kMicro = micro_table(std::make_integer_sequence<int, kMaxRows>{});

// out (R, N) (+)= A (R, K) · Bm (K, N), where A[r][k] = A[r·ars + k·aks] and out, Bm are row-major.
void gemm_tile(float* out, int ldo, const float* A, int ars, int aks, const float* Bm, int ldb, int R, int K, int N,
               bool accumulate) {
  if (N % W != 0) {  // head sizes narrower than a vector
    for (int r = 0; r < R; r++)
      for (int n = 0; n < N; n++) {
        float s = accumulate ? out[r * ldo + n] : 0.f;
        for (int k = 0; k < K; k++) s += A[r * ars + k * aks] * Bm[(size_t)k * ldb + n];
        out[r * ldo + n] = s;
      }
    return;
  }
  const int nvec = N / W;
  for (int r = 0; r < R; r += kMaxRows)
    for (int v = 0; v < nvec; v += kMaxVecs)
      kMicro[std::min(kMaxRows, R - r) - 1][std::min(kMaxVecs, nvec - v) - 1](
          out + r * ldo + v * W, ldo, A + r * ars, ars, aks, Bm + v * W, ldb, K, accumulate);
}

// Geometry of one (batch, head): where q, k, v, out rows live and the dropout index base.
struct Head {
  const float* qkv;
  int T, C, HS;
  int64_t b, h, NH;
  const float* q(int i) const { return qkv + ((b * T + i) * 3 * C) + h * HS; }
  const float* k(int j) const { return q(j) + C; }
  const float* v(int j) const { return q(j) + 2 * C; }
  int64_t row(int i) const { return b * T + i; }  // row of (B, T, ·) tensors
  uint64_t drop_index(int i, int j) const { return ((uint64_t)(b * NH + h) * T + i) * (uint64_t)T + j; }
};

// mult[j] = keep(i, j0 + j)·scale for j < n: the dropout multipliers of one row segment.
void dropout_row(float* mult, const Head& hd, int i, int j0, int n, uint64_t seed, uint32_t threshold, float scale) {
  dropout_spans(seed, hd.drop_index(i, j0), (uint64_t)n, [&](uint32_t key, uint32_t lo, uint64_t off, uint64_t cnt) {
    for (uint64_t j = 0; j < cnt; j++) mult[off + j] = dropout_keep(key, lo + (uint32_t)j, threshold, scale);
  });
}

// Row stride of transposed keys: T rounded up to KB, plus 16 floats, because rows a power of two
// apart share L1 cache sets and a tile walks down 64 of them.
int transposed_stride(int T) { return (T + KB - 1) / KB * KB + 16; }

// Column `part` (1 = k, 2 = v) of every head, transposed once per call so that key tiles are
// contiguous rows: dst[(b·NH + h)·HS·Tp + d·Tp + j], zero-padded, Tp = transposed_stride(T). The
// buffer of each part is kept per calling thread and reused, so training steps do not page-fault
// fresh memory on every call.
const float* transpose_heads(const float* qkv, int part, int B, int T, int C, int NH, int Tp) {
  static thread_local std::vector<float> buffers[2];
  std::vector<float>& buf = buffers[part - 1];
  const int HS = C / NH;
  if (buf.size() < (size_t)B * NH * HS * Tp) buf.resize((size_t)B * NH * HS * Tp);
  float* all = buf.data();
  parallel_for((int64_t)B * NH, 1, [&](int64_t h0, int64_t h1) {
    for (int64_t hh = h0; hh < h1; hh++) {
      const int64_t b = hh / NH, h = hh % NH;
      float* dst = all + hh * HS * Tp;
      for (int j = 0; j < T; j++) {
        const float* src = qkv + (b * T + j) * 3 * C + part * C + h * HS;
        for (int d = 0; d < HS; d++) dst[(size_t)d * Tp + j] = src[d];
      }
      for (int d = 0; d < HS; d++) std::fill(dst + (size_t)d * Tp + T, dst + (size_t)(d + 1) * Tp, 0.f);
    }
  });
  return all;
}

}  // namespace

void attention_forward(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                       uint64_t seed) {
  const int HS = C / NH, nqb = (T + QB - 1) / QB, Tp = transposed_stride(T);
  const float sc = 1.f / std::sqrt((float)HS);
  const uint32_t threshold = dropout_threshold(dropout_p);
  const float dscale = dropout_scale(dropout_p);
  const bool drop = dropout_p > 0.f;
  const float* kt = transpose_heads(qkv, 1, B, T, C, NH, Tp);
  parallel_for((int64_t)B * NH * nqb, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> s(QB * KB), o(QB * HS), mult(KB);
    float m[QB], l[QB];
    for (int64_t task = t0; task < t1; task++) {
      const Head hd{qkv, T, C, HS, task / (NH * nqb), (task / nqb) % NH, NH};
      const float* kth = kt + (hd.b * NH + hd.h) * HS * Tp;
      const int i0 = (int)(task % nqb) * QB, ni = std::min(QB, T - i0);
      std::fill(o.begin(), o.end(), 0.f);
      for (int r = 0; r < ni; r++) m[r] = -INFINITY, l[r] = 0.f;
      for (int j0 = 0; j0 < i0 + ni; j0 += KB) {
        const int nj = std::min(KB, i0 + ni - j0);
        gemm_tile(s.data(), KB, hd.q(i0), 3 * C, 1, kth + j0, Tp, ni, HS, KB, false);  // q·kᵀ, unscaled
        for (int r = 0; r < ni; r++) {
          float* p = s.data() + r * KB;
          const int valid = std::min(nj, i0 + r - j0 + 1);  // causal: keys j ≤ i
          if (valid <= 0) {
            std::fill(p, p + nj, 0.f);
            continue;
          }
          const float mnew = std::max(m[r], lane_max(p, valid) * sc);
          const float alpha = exp_approx(m[r] - mnew);
          exp_row(p, valid, sc, mnew);
          for (int j = valid; j < nj; j++) p[j] = 0.f;
          l[r] = l[r] * alpha + lane_sum(valid, [&](int j) { return p[j]; });
          m[r] = mnew;
          if (drop) {
            dropout_row(mult.data(), hd, i0 + r, j0, valid, seed, threshold, dscale);
            for (int j = 0; j < valid; j++) p[j] *= mult[j];
          }
          if (alpha != 1.f)
            for (int d = 0; d < HS; d++) o[r * HS + d] *= alpha;
        }
        gemm_tile(o.data(), HS, s.data(), KB, 1, hd.v(j0), 3 * C, ni, nj, HS, true);
      }
      for (int r = 0; r < ni; r++) {
        float* dst = out + hd.row(i0 + r) * C + hd.h * HS;
        const float inv = 1.f / l[r];
        for (int d = 0; d < HS; d++) dst[d] = o[r * HS + d] * inv;
        lse[(hd.b * NH + hd.h) * T + i0 + r] = m[r] + std::log(l[r]);
      }
    }
  });
}

// One task per (batch, head): its dq, dk, dv columns belong to no other task, so no write races.
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse, int B,
                        int T, int C, int NH, float dropout_p, uint64_t seed) {
  const int HS = C / NH, Tp = transposed_stride(T);
  const float sc = 1.f / std::sqrt((float)HS);
  const uint32_t threshold = dropout_threshold(dropout_p);
  const float dscale = dropout_scale(dropout_p);
  const bool drop = dropout_p > 0.f;
  const float* kt = transpose_heads(qkv, 1, B, T, C, NH, Tp);
  const float* vt = transpose_heads(qkv, 2, B, T, C, NH, Tp);
  parallel_for((int64_t)B * NH, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> ks(KB * HS), dk(KB * HS), dv(KB * HS);
    std::vector<float> P(QB * KB), PM(QB * KB), dS(QB * KB), mult(KB), D(T);
    for (int64_t task = t0; task < t1; task++) {
      const Head hd{qkv, T, C, HS, task / NH, task % NH, NH};
      const float* kth = kt + task * HS * Tp;
      const float* vth = vt + task * HS * Tp;
      const float* L = lse + task * T;
      const float* dO = dout + hd.row(0) * C + hd.h * HS;  // row i at dO + i·C
      for (int i = 0; i < T; i++) {
        const float* o = out + hd.row(i) * C + hd.h * HS;
        D[i] = lane_sum(HS, [&](int d) { return dO[(size_t)i * C + d] * o[d]; });
      }
      for (int j0 = 0; j0 < T; j0 += KB) {
        const int nj = std::min(KB, T - j0);
        for (int j = 0; j < nj; j++)
          for (int d = 0; d < HS; d++) ks[j * HS + d] = hd.k(j0 + j)[d] * sc;
        std::fill(dk.begin(), dk.end(), 0.f);
        std::fill(dv.begin(), dv.end(), 0.f);
        for (int i0 = j0 / QB * QB; i0 < T; i0 += QB) {
          const int ni = std::min(QB, T - i0);
          gemm_tile(P.data(), KB, hd.q(i0), 3 * C, 1, kth + j0, Tp, ni, HS, KB, false);           // q·kᵀ
          gemm_tile(dS.data(), KB, dO + (size_t)i0 * C, C, 1, vth + j0, Tp, ni, HS, KB, false);  // dP = dO·vᵀ
          for (int r = 0; r < ni; r++) {
            const int i = i0 + r, valid = std::max(0, std::min(nj, i - j0 + 1));
            float *p = P.data() + r * KB, *pm = PM.data() + r * KB, *ds = dS.data() + r * KB;
            const float Li = L[i], Di = D[i];
            exp_row(p, valid, sc, Li);
            if (drop) {
              dropout_row(mult.data(), hd, i, j0, valid, seed, threshold, dscale);
              for (int j = 0; j < valid; j++) {
                pm[j] = p[j] * mult[j];
                ds[j] = p[j] * (ds[j] * mult[j] - Di);
              }
            } else {
              for (int j = 0; j < valid; j++) {
                pm[j] = p[j];
                ds[j] = p[j] * (ds[j] - Di);
              }
            }
            for (int j = valid; j < KB; j++) pm[j] = ds[j] = 0.f;
          }
          gemm_tile(dv.data(), HS, PM.data(), 1, KB, dO + (size_t)i0 * C, C, nj, ni, HS, true);  // dV += (P∘M)ᵀ dO
          gemm_tile(dk.data(), HS, dS.data(), 1, KB, hd.q(i0), 3 * C, nj, ni, HS, true);         // dK += dSᵀ q
          gemm_tile(dqkv + hd.row(i0) * 3 * C + hd.h * HS, 3 * C, dS.data(), KB, 1, ks.data(), HS, ni, nj, HS,
                    true);  // dQ += dS (k·sc)
        }
        for (int j = 0; j < nj; j++) {
          float* dkr = dqkv + hd.row(j0 + j) * 3 * C + C + hd.h * HS;
          float* dvr = dkr + C;
          for (int d = 0; d < HS; d++) dkr[d] += dk[j * HS + d] * sc, dvr[d] += dv[j * HS + d];
        }
      }
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
