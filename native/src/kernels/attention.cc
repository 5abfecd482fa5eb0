// Causal multi-head self-attention, forward beside backward, block-wise in the manner of
// FlashAttention-2: tiles of QB queries × KB keys with an online softmax, so memory is O(T) per head
// and the (T, T) score matrix never exists. The backward recomputes the probabilities from q, k and
// the saved lse, with D = rowsum(dO ∘ O). Dropout on the probabilities uses common.h's hash at index
// ((b·NH + h)·T + i)·T + j, exactly like dropout_forward. Not cross-attention; the KV-cache step is attention_cached.cc.
//
// The algorithm (forward_tiles, backward_tiles) is written once over the seven tile matmuls it needs,
// which a "tiles" policy supplies: Fp32Tiles (the reference arithmetic), RoundedTiles (bf16 attention on
// any ISA: q, k, v, dO, P and dS rounded to bf16 values, then fp32 tiles) and, in the avx512 build,
// Bf16Tiles (the same roundings on VDPBF16PS). In bf16 the softmax, its statistics, D and every
// accumulator stay fp32, as FlashAttention does.
#include <array>
#include <cmath>
#include <cstring>
#include <type_traits>
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
struct Fp32Micro {
  using Elem = float;
  template <int RR, int NV>
  static void run(float* out, int ldo, const float* A, int ars, int aks, const float* Bm, int ldb, int K,
                  bool accumulate) {
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
};

#if defined(MOTIF_SIMD_AVX512) && defined(__x86_64__)
// The same block over bf16 pairs (gemm_bf16.cc's layout): A and Bm hold uint32 pairs of two
// consecutive depths (smaller one low), K counts pairs, and VDPBF16PS adds both products per lane.
struct Bf16Micro {
  using Elem = uint32_t;
  template <int RR, int NV>
  __attribute__((target("avx512bf16"))) static void run(float* out, int ldo, const uint32_t* A, int ars, int aks,
                                                        const uint32_t* Bm, int ldb, int K, bool accumulate) {
    __m512 c[RR][NV];
    for (int r = 0; r < RR; r++)
      for (int v = 0; v < NV; v++) c[r][v] = accumulate ? _mm512_loadu_ps(out + r * ldo + v * 16) : _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
      __m512bh b[NV];
      for (int v = 0; v < NV; v++) b[v] = (__m512bh)_mm512_loadu_si512(Bm + (size_t)k * ldb + v * 16);
      for (int r = 0; r < RR; r++) {
        const __m512bh a = (__m512bh)_mm512_set1_epi32((int)A[r * ars + k * aks]);
        for (int v = 0; v < NV; v++) c[r][v] = _mm512_dpbf16_ps(c[r][v], a, b[v]);
      }
    }
    for (int r = 0; r < RR; r++)
      for (int v = 0; v < NV; v++) _mm512_storeu_ps(out + r * ldo + v * 16, c[r][v]);
  }
};
#endif

// kMicro<M>[rows - 1][vecs - 1] = M::run<rows, vecs> for every block shape up to kMaxRows × kMaxVecs.
template <class M>
using MicroFn = void (*)(float*, int, const typename M::Elem*, int, int, const typename M::Elem*, int, int, bool);
template <class M, int RR, int... V>
constexpr std::array<MicroFn<M>, kMaxVecs> micro_row(std::integer_sequence<int, V...>) {
  return {&M::template run<RR, V + 1>...};
}
template <class M, int... R>
constexpr std::array<std::array<MicroFn<M>, kMaxVecs>, kMaxRows> micro_table(std::integer_sequence<int, R...>) {
  return {micro_row<M, R + 1>(std::make_integer_sequence<int, kMaxVecs>{})...};
}
template <class M>
constexpr auto kMicro = micro_table<M>(std::make_integer_sequence<int, kMaxRows>{});

// out (R, N) (+)= A (R, K) · Bm (K, N), where A[r][k] = A[r·ars + k·aks] and out, Bm are row-major.
// N is a multiple of W except for fp32 heads narrower than a vector, done here one product at a time.
template <class M>
void gemm_tile(float* out, int ldo, const typename M::Elem* A, int ars, int aks, const typename M::Elem* Bm, int ldb,
               int R, int K, int N, bool accumulate) {
  if constexpr (std::is_same_v<typename M::Elem, float>) {
    if (N % W != 0) {
      for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
          float s = accumulate ? out[r * ldo + n] : 0.f;
          for (int k = 0; k < K; k++) s += A[r * ars + k * aks] * Bm[(size_t)k * ldb + n];
          out[r * ldo + n] = s;
        }
      return;
    }
  }
  const int nvec = N / W;
  for (int r = 0; r < R; r += kMaxRows)
    for (int v = 0; v < nvec; v += kMaxVecs)
      kMicro<M>[std::min(kMaxRows, R - r) - 1][std::min(kMaxVecs, nvec - v) - 1](
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
  int64_t index() const { return b * NH + h; }    // (batch, head) pair: its slot in per-head buffers
  int64_t row(int i) const { return b * T + i; }  // row of (B, T, ·) tensors
  uint64_t drop_index(int i, int j) const { return ((uint64_t)index() * T + i) * (uint64_t)T + j; }
};

// mult[j] = keep(i, j0 + j)·scale for j < n: the dropout multipliers of one row segment.
void dropout_row(float* mult, const Head& hd, int i, int j0, int n, uint64_t seed, uint32_t threshold, float scale) {
  dropout_spans(seed, hd.drop_index(i, j0), (uint64_t)n, [&](uint32_t key, uint32_t lo, uint64_t off, uint64_t cnt) {
    for (uint64_t j = 0; j < cnt; j++) mult[off + j] = dropout_keep(key, lo + (uint32_t)j, threshold, scale);
  });
}

// Row stride of transposed keys: T rounded up to KB, plus 16, because rows a power of two apart share
// L1 cache sets and a tile walks down 64 of them.
int transposed_stride(int T) { return (T + KB - 1) / KB * KB + 16; }

// A buffer per calling thread and slot, reused across calls so that training steps do not page-fault
// fresh memory on every call; grown on demand. Slots 0-7 hold a call's per-head operands, 8-10 a tile's.
constexpr int kTileSlot = 8;
template <typename E>
E* scratch(int slot, size_t n) {
  static thread_local std::vector<E> buffers[kTileSlot + 3];
  std::vector<E>& buf = buffers[slot];
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// ---- fp32 tiles ---------------------------------------------------------------------------------
// k and v are transposed once per call, per head (kt, vt: [(b·NH + h)·HS·Tp + d·Tp + j], zero-padded),
// so that key tiles are contiguous rows of the B operand.
struct Fp32Tiles {
  using Elem = float;
  int T, C, HS, Tp;
  const float *qkv, *dout, *kt, *vt = nullptr;

  Fp32Tiles(const float* qkv_, const float* dout_, int B, int T_, int C_, int NH)
      : T(T_), C(C_), HS(C_ / NH), Tp(transposed_stride(T_)), qkv(qkv_), dout(dout_) {
    kt = transpose(1, B, NH, 0);
    if (dout) vt = transpose(2, B, NH, 1);
  }
  const float* transpose(int part, int B, int NH, int slot) const {
    float* all = scratch<float>(slot, (size_t)B * NH * HS * Tp);
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
  const float* dO(const Head& hd, int i) const { return dout + hd.row(i) * C + hd.h * HS; }

  // s (ni, KB) = q_i0.. · kᵀ over keys j0 .. j0 + KB (unscaled).
  void qk(float* s, const Head& hd, int i0, int ni, int j0) const {
    gemm_tile<Fp32Micro>(s, KB, hd.q(i0), 3 * C, 1, kt + hd.index() * HS * Tp + j0, Tp, ni, HS, KB, false);
  }
  // o (ni, HS) += p (ni, nj; row stride KB) · v_j0..
  void pv(float* o, const float* p, const Head& hd, int ni, int nj, int j0) const {
    gemm_tile<Fp32Micro>(o, HS, p, KB, 1, hd.v(j0), 3 * C, ni, nj, HS, true);
  }
  // dp (ni, KB) = dO_i0.. · vᵀ over keys j0 .. j0 + KB.
  void dov(float* dp, const Head& hd, int i0, int ni, int j0) const {
    gemm_tile<Fp32Micro>(dp, KB, dO(hd, i0), C, 1, vt + hd.index() * HS * Tp + j0, Tp, ni, HS, KB, false);
  }
  // dv (nj, HS) += pmᵀ · dO_i0..;  pm (ni, KB).
  void dv(float* dv, const float* pm, const Head& hd, int i0, int ni, int nj) const {
    gemm_tile<Fp32Micro>(dv, HS, pm, 1, KB, dO(hd, i0), C, nj, ni, HS, true);
  }
  // dk (nj, HS) += dsᵀ · q_i0..;  ds (ni, KB).
  void dk(float* dk, const float* ds, const Head& hd, int i0, int ni, int nj) const {
    gemm_tile<Fp32Micro>(dk, HS, ds, 1, KB, hd.q(i0), 3 * C, nj, ni, HS, true);
  }
  // dq (ni rows, stride 3C) += ds · k_j0..
  void dq(float* dq, const float* ds, const Head& hd, int ni, int nj, int j0) const {
    gemm_tile<Fp32Micro>(dq, 3 * C, ds, KB, 1, hd.k(j0), 3 * C, ni, nj, HS, true);
  }
};

// (dst, src may alias) dst = src rounded to bf16 and widened back: exactly the values a bf16 copy holds.
// On the calling thread: tiles are rounded inside the attention's own parallel loop.
void round_through_bf16(float* dst, const float* src, size_t n) {
  uint16_t tmp[1024];
  for (size_t i = 0; i < n; i += 1024) {
    const size_t len = std::min<size_t>(1024, n - i);
    f32_to_bf16(tmp, src + i, len);
    bf16_to_f32(dst + i, tmp, len);
  }
}
// The same over the pool, for whole operands.
void round_through_bf16_parallel(float* dst, const float* src, size_t n) {
  parallel_for((int64_t)n, 1 << 14,
               [&](int64_t b, int64_t e) { round_through_bf16(dst + b, src + b, (size_t)(e - b)); });
}

// ---- bf16 values on fp32 tiles (every ISA) --------------------------------------------------------
// The portable bf16 attention: it rounds what Bf16Tiles rounds (q, k, v and dO once per call, by the
// caller; P, P∘M and dS per tile, here) to bf16 values and multiplies them with Fp32Tiles' kernels, whose
// fp32 products of bf16 values are exact. So every bf16 path rounds the same values and the fast one
// differs from this one only in the order of its fp32 sums.
struct RoundedTiles : Fp32Tiles {
  using Fp32Tiles::Fp32Tiles;
  // The tile x (n rows, stride KB, the first m columns meant) through bf16, into a per-thread tile.
  static const float* round(const float* x, int n, int m) {
    float* out = scratch<float>(kTileSlot, (size_t)QB * KB);
    for (int r = 0; r < n; r++) round_through_bf16(out + (size_t)r * KB, x + (size_t)r * KB, m);
    return out;
  }
  void pv(float* o, const float* p, const Head& hd, int ni, int nj, int j0) const {
    Fp32Tiles::pv(o, round(p, ni, nj), hd, ni, nj, j0);
  }
  void dv(float* dv, const float* pm, const Head& hd, int i0, int ni, int nj) const {
    Fp32Tiles::dv(dv, round(pm, ni, KB), hd, i0, ni, nj);
  }
  void dk(float* dk, const float* ds, const Head& hd, int i0, int ni, int nj) const {
    Fp32Tiles::dk(dk, round(ds, ni, KB), hd, i0, ni, nj);
  }
  void dq(float* dq, const float* ds, const Head& hd, int ni, int nj, int j0) const {
    Fp32Tiles::dq(dq, round(ds, ni, nj), hd, ni, nj, j0);
  }
};

#if defined(MOTIF_SIMD_AVX512) && defined(__x86_64__)
// ---- bf16 tiles ---------------------------------------------------------------------------------
// Operands are rounded to bf16 once per call into per-head buffers of uint32 pairs (the layout of
// Bf16Micro), in one of three arrangements, hh = b·NH + h:
//   rows   [hh][i][HS/2]:  pairs of consecutive d of row i          (A of q·kᵀ and dO·vᵀ)
//   cols   [hh][d/2][Tp]:  pairs of consecutive d, one column per i (B of q·kᵀ and dO·vᵀ: kᵀ, vᵀ)
//   pairs  [hh][i/2][HS]:  rows 2i' and 2i'+1 interleaved per d     (B of P·v, Pᵀ·dO, dSᵀ·q, dS·k)
// with every row past T zero. The fp32 tiles P, P∘M and dS are rounded per tile: as rows (A of P·v,
// dS·k) or as interleaved row pairs read transposed (A of Pᵀ·dO, dSᵀ·q). Needs HS a multiple of 16.
struct Bf16Tiles {
  using Elem = uint32_t;
  int T, C, HS, HP, Tp, Tr;  // HP = HS/2 pairs per row; Tr = T rounded up to a whole tile
  const float *qkv, *dout;
  const uint32_t *qr, *kc, *vp, *dor = nullptr, *vc = nullptr, *dop = nullptr, *qp = nullptr, *kp = nullptr;

  Bf16Tiles(const float* qkv_, const float* dout_, int B, int T_, int C_, int NH)
      : T(T_), C(C_), HS(C_ / NH), HP(C_ / NH / 2), Tp(transposed_stride(T_)), Tr((T_ + KB - 1) / KB * KB),
        qkv(qkv_), dout(dout_) {
    const int64_t heads = (int64_t)B * NH;
    uint32_t* q_rows = scratch<uint32_t>(0, heads * Tr * HP);
    uint32_t* k_cols = scratch<uint32_t>(1, heads * HP * Tp);
    uint32_t* v_pairs = scratch<uint32_t>(2, heads * Tr * HP);
    uint32_t *do_rows = nullptr, *v_cols = nullptr, *do_pairs = nullptr, *q_pairs = nullptr, *k_pairs = nullptr;
    if (dout) {
      do_rows = scratch<uint32_t>(3, heads * Tr * HP);
      v_cols = scratch<uint32_t>(4, heads * HP * Tp);
      do_pairs = scratch<uint32_t>(5, heads * Tr * HP);
      q_pairs = scratch<uint32_t>(6, heads * Tr * HP);
      k_pairs = scratch<uint32_t>(7, heads * Tr * HP);
    }
    parallel_for(heads, 1, [&](int64_t h0, int64_t h1) {
      std::vector<uint16_t> x((size_t)Tr * HS);  // one head's (T, HS) part in bf16, zero past T
      for (int64_t hh = h0; hh < h1; hh++) {
        const int64_t b = hh / NH, h = hh % NH;
        // Rounds column block `part` of rows (stride ld) into x; then lays it out as asked.
        auto load = [&](const float* src, int ld) {
          for (int i = 0; i < T; i++) f32_to_bf16(x.data() + (size_t)i * HS, src + (b * T + i) * ld + h * HS, HS);
          std::fill(x.begin() + (size_t)T * HS, x.end(), 0);
        };
        auto rows = [&](uint32_t* dst) { std::memcpy(dst + hh * Tr * HP, x.data(), (size_t)Tr * HS * 2); };
        auto cols = [&](uint32_t* dst) {
          uint32_t* out = dst + hh * HP * Tp;
          const uint32_t* in = reinterpret_cast<const uint32_t*>(x.data());
          for (int i = 0; i < Tr; i++)
            for (int d = 0; d < HP; d++) out[(size_t)d * Tp + i] = in[(size_t)i * HP + d];
          for (int d = 0; d < HP; d++) std::fill(out + (size_t)d * Tp + Tr, out + (size_t)(d + 1) * Tp, 0u);
        };
        auto pairs = [&](uint32_t* dst) {
          uint32_t* out = dst + hh * Tr * HP;
          for (int i = 0; i < Tr; i += 2)
            for (int d = 0; d < HS; d++)
              out[(size_t)i / 2 * HS + d] = x[(size_t)i * HS + d] | (uint32_t)x[(size_t)(i + 1) * HS + d] << 16;
        };
        load(qkv, 3 * C);
        rows(q_rows);
        if (q_pairs) pairs(q_pairs);
        load(qkv + C, 3 * C);
        cols(k_cols);
        if (k_pairs) pairs(k_pairs);
        load(qkv + 2 * C, 3 * C);
        pairs(v_pairs);
        if (v_cols) cols(v_cols);
        if (dout) {
          load(dout, C);
          rows(do_rows);
          pairs(do_pairs);
        }
      }
    });
    qr = q_rows, kc = k_cols, vp = v_pairs, dor = do_rows, vc = v_cols, dop = do_pairs, qp = q_pairs, kp = k_pairs;
  }

  // The fp32 tile x (n rows, stride KB, the first m columns meant) rounded as rows of pairs; an odd
  // m's last pair gets a zero partner, so a pair never reaches past column m.
  static const uint32_t* round_rows(const float* x, int n, int m) {
    uint16_t* out = reinterpret_cast<uint16_t*>(scratch<uint32_t>(kTileSlot, (size_t)QB * KB / 2));
    for (int r = 0; r < n; r++) {
      f32_to_bf16(out + (size_t)r * KB, x + (size_t)r * KB, m);
      if (m % 2) out[(size_t)r * KB + m] = 0;
    }
    return reinterpret_cast<const uint32_t*>(out);
  }
  // The fp32 tile x (n rows, stride KB) rounded as interleaved row pairs [r/2][KB], zero past row n.
  static const uint32_t* round_pairs(const float* x, int n) {
    uint32_t* out = scratch<uint32_t>(kTileSlot + 1, (size_t)QB / 2 * KB);
    uint16_t* lo = reinterpret_cast<uint16_t*>(scratch<uint32_t>(kTileSlot + 2, KB));
    uint16_t* hi = lo + KB;
    for (int r = 0; r < n; r += 2) {
      f32_to_bf16(lo, x + (size_t)r * KB, KB);
      if (r + 1 < n) f32_to_bf16(hi, x + (size_t)(r + 1) * KB, KB);
      else std::fill(hi, hi + KB, 0);
      for (int j = 0; j < KB; j++) out[(size_t)r / 2 * KB + j] = lo[j] | (uint32_t)hi[j] << 16;
    }
    return out;
  }
  size_t at(const Head& hd, int i) const { return (size_t)hd.index() * Tr * HP + (size_t)i * HP; }  // rows, pairs
  size_t col(const Head& hd, int j) const { return (size_t)hd.index() * HP * Tp + j; }             // cols

  void qk(float* s, const Head& hd, int i0, int ni, int j0) const {
    gemm_tile<Bf16Micro>(s, KB, qr + at(hd, i0), HP, 1, kc + col(hd, j0), Tp, ni, HP, KB, false);
  }
  void pv(float* o, const float* p, const Head& hd, int ni, int nj, int j0) const {
    gemm_tile<Bf16Micro>(o, HS, round_rows(p, ni, nj), KB / 2, 1, vp + at(hd, j0), HS, ni, (nj + 1) / 2, HS, true);
  }
  void dov(float* dp, const Head& hd, int i0, int ni, int j0) const {
    gemm_tile<Bf16Micro>(dp, KB, dor + at(hd, i0), HP, 1, vc + col(hd, j0), Tp, ni, HP, KB, false);
  }
  void dv(float* dv, const float* pm, const Head& hd, int i0, int ni, int nj) const {
    gemm_tile<Bf16Micro>(dv, HS, round_pairs(pm, ni), 1, KB, dop + at(hd, i0), HS, nj, (ni + 1) / 2, HS, true);
  }
  void dk(float* dk, const float* ds, const Head& hd, int i0, int ni, int nj) const {
    gemm_tile<Bf16Micro>(dk, HS, round_pairs(ds, ni), 1, KB, qp + at(hd, i0), HS, nj, (ni + 1) / 2, HS, true);
  }
  void dq(float* dq, const float* ds, const Head& hd, int ni, int nj, int j0) const {
    gemm_tile<Bf16Micro>(dq, 3 * C, round_rows(ds, ni, nj), KB / 2, 1, kp + at(hd, j0), HS, ni, (nj + 1) / 2, HS,
                         true);
  }
};
#endif

// ---- the algorithm, once for every tiles policy ---------------------------------------------------

template <class Tiles>
void forward_tiles(const Tiles& mm, float* out, float* lse, const float* qkv, int B, int T, int C, int NH,
                   float dropout_p, uint64_t seed) {
  const int HS = C / NH, nqb = (T + QB - 1) / QB;
  const float sc = 1.f / std::sqrt((float)HS);
  const uint32_t threshold = dropout_threshold(dropout_p);
  const float dscale = dropout_scale(dropout_p);
  const bool drop = dropout_p > 0.f;
  parallel_for((int64_t)B * NH * nqb, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> s(QB * KB), o(QB * HS), mult(KB);
    float m[QB], l[QB];
    for (int64_t task = t0; task < t1; task++) {
      const Head hd{qkv, T, C, HS, task / (NH * nqb), (task / nqb) % NH, NH};
      const int i0 = (int)(task % nqb) * QB, ni = std::min(QB, T - i0);
      std::fill(o.begin(), o.end(), 0.f);
      for (int r = 0; r < ni; r++) m[r] = -INFINITY, l[r] = 0.f;
      for (int j0 = 0; j0 < i0 + ni; j0 += KB) {
        const int nj = std::min(KB, i0 + ni - j0);
        mm.qk(s.data(), hd, i0, ni, j0);  // q·kᵀ, unscaled
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
        mm.pv(o.data(), s.data(), hd, ni, nj, j0);
      }
      for (int r = 0; r < ni; r++) {
        float* dst = out + hd.row(i0 + r) * C + hd.h * HS;
        const float inv = 1.f / l[r];
        for (int d = 0; d < HS; d++) dst[d] = o[r * HS + d] * inv;
        lse[hd.index() * T + i0 + r] = m[r] + std::log(l[r]);
      }
    }
  });
}

// One task per (batch, head): its dq, dk, dv columns belong to no other task, so no write races.
// dS carries the score scale sc, so dk = dSᵀ·q and dq = dS·k need no further scaling.
template <class Tiles>
void backward_tiles(const Tiles& mm, float* dqkv, const float* dout, const float* qkv, const float* out,
                    const float* lse, int B, int T, int C, int NH, float dropout_p, uint64_t seed) {
  const int HS = C / NH;
  const float sc = 1.f / std::sqrt((float)HS);
  const uint32_t threshold = dropout_threshold(dropout_p);
  const float dscale = dropout_scale(dropout_p);
  const bool drop = dropout_p > 0.f;
  parallel_for((int64_t)B * NH, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> dk(KB * HS), dv(KB * HS);
    std::vector<float> P(QB * KB), PM(QB * KB), dS(QB * KB), mult(KB), D(T);
    for (int64_t task = t0; task < t1; task++) {
      const Head hd{qkv, T, C, HS, task / NH, task % NH, NH};
      const float* L = lse + task * T;
      const float* dO = dout + hd.row(0) * C + hd.h * HS;  // row i at dO + i·C
      for (int i = 0; i < T; i++) {
        const float* o = out + hd.row(i) * C + hd.h * HS;
        D[i] = lane_sum(HS, [&](int d) { return dO[(size_t)i * C + d] * o[d]; });
      }
      for (int j0 = 0; j0 < T; j0 += KB) {
        const int nj = std::min(KB, T - j0);
        std::fill(dk.begin(), dk.end(), 0.f);
        std::fill(dv.begin(), dv.end(), 0.f);
        for (int i0 = j0 / QB * QB; i0 < T; i0 += QB) {
          const int ni = std::min(QB, T - i0);
          mm.qk(P.data(), hd, i0, ni, j0);    // q·kᵀ
          mm.dov(dS.data(), hd, i0, ni, j0);  // dP = dO·vᵀ
          for (int r = 0; r < ni; r++) {
            const int i = i0 + r, valid = std::max(0, std::min(nj, i - j0 + 1));
            float *p = P.data() + r * KB, *pm = PM.data() + r * KB, *ds = dS.data() + r * KB;
            const float Li = L[i], Di = D[i];
            exp_row(p, valid, sc, Li);
            if (drop) {
              dropout_row(mult.data(), hd, i, j0, valid, seed, threshold, dscale);
              for (int j = 0; j < valid; j++) {
                pm[j] = p[j] * mult[j];
                ds[j] = sc * p[j] * (ds[j] * mult[j] - Di);
              }
            } else {
              for (int j = 0; j < valid; j++) {
                pm[j] = p[j];
                ds[j] = sc * p[j] * (ds[j] - Di);
              }
            }
            for (int j = valid; j < KB; j++) pm[j] = ds[j] = 0.f;
          }
          mm.dv(dv.data(), PM.data(), hd, i0, ni, nj);                          // dV += (P∘M)ᵀ dO
          mm.dk(dk.data(), dS.data(), hd, i0, ni, nj);                          // dK += dSᵀ q
          mm.dq(dqkv + hd.row(i0) * 3 * C + hd.h * HS, dS.data(), hd, ni, nj, j0);  // dQ += dS k
        }
        for (int j = 0; j < nj; j++) {
          float* dkr = dqkv + hd.row(j0 + j) * 3 * C + C + hd.h * HS;
          float* dvr = dkr + C;
          for (int d = 0; d < HS; d++) dkr[d] += dk[j * HS + d], dvr[d] += dv[j * HS + d];
        }
      }
    }
  });
}

}  // namespace

void attention_forward(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                       uint64_t seed) {
  forward_tiles(Fp32Tiles(qkv, nullptr, B, T, C, NH), out, lse, qkv, B, T, C, NH, dropout_p, seed);
}

void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse, int B,
                        int T, int C, int NH, float dropout_p, uint64_t seed) {
  backward_tiles(Fp32Tiles(qkv, dout, B, T, C, NH), dqkv, dout, qkv, out, lse, B, T, C, NH, dropout_p, seed);
}

// The portable bf16 attention (RoundedTiles): qkv and dout rounded into per-thread copies; D = rowsum(dO ∘ O)
// keeps the fp32 dout, as the fast kernel's does.
void attention_forward_bf16(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                            uint64_t seed) {
  const size_t n = (size_t)B * T * 3 * C;
  float* q = scratch<float>(2, n);
  round_through_bf16_parallel(q, qkv, n);
  forward_tiles(RoundedTiles(q, nullptr, B, T, C, NH), out, lse, q, B, T, C, NH, dropout_p, seed);
}

void attention_backward_bf16(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                             int B, int T, int C, int NH, float dropout_p, uint64_t seed) {
  const size_t n = (size_t)B * T * C;
  float *q = scratch<float>(2, 3 * n), *d = scratch<float>(3, n);
  round_through_bf16_parallel(q, qkv, 3 * n);
  round_through_bf16_parallel(d, dout, n);
  backward_tiles(RoundedTiles(q, d, B, T, C, NH), dqkv, dout, q, out, lse, B, T, C, NH, dropout_p, seed);
}

#if defined(MOTIF_SIMD_AVX512) && defined(__x86_64__)
// Heads whose size is not a multiple of 16 (a vector of pairs' outputs) take the portable bf16 kernels.
void attention_forward_dpbf16(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                              uint64_t seed) {
  if ((C / NH) % 16) return attention_forward_bf16(out, lse, qkv, B, T, C, NH, dropout_p, seed);
  forward_tiles(Bf16Tiles(qkv, nullptr, B, T, C, NH), out, lse, qkv, B, T, C, NH, dropout_p, seed);
}

void attention_backward_dpbf16(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                               int B, int T, int C, int NH, float dropout_p, uint64_t seed) {
  if ((C / NH) % 16) return attention_backward_bf16(dqkv, dout, qkv, out, lse, B, T, C, NH, dropout_p, seed);
  backward_tiles(Bf16Tiles(qkv, dout, B, T, C, NH), dqkv, dout, qkv, out, lse, B, T, C, NH, dropout_p, seed);
}
#endif

}  // namespace MOTIF_ISA
}  // namespace motif
