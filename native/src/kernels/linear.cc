// Fully connected layer y = x·Wᵀ + b, forward beside backward, over this ISA's sgemm (sgemm.cc), and
// its bf16 form over a bf16 GEMM (ops.h, GemmBf16). The bias is fused by seeding y with it and letting
// the GEMM accumulate (beta = 1); the bias gradient is a column sum split over column slices. Not a matmul: sgemm does the heavy lifting, except for a
// few rows (incremental decoding: one row per stream), where packing W would cost more than the product.
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace motif {
namespace MOTIF_ISA {
namespace {

constexpr int kFewRows = 8;

// y (N ≤ kFewRows, OC) = x · Wᵀ + b with W streamed once, row by row, straight from memory: each W row
// meets all N inputs (which stay in L1) while it is in registers. Memory-bound by design; N is a template
// parameter so that the accumulators stay in registers.
template <int N>
void linear_forward_few_rows(float* y, const float* x, const float* Wt, const float* b, int IC, int OC) {
  parallel_for(OC, 16, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; o++) {
      const float* w = Wt + (size_t)o * IC;
      vec acc[N];
      for (int r = 0; r < N; r++) acc[r] = vzero();
      int i = 0;
      for (; i + W <= IC; i += W) {
        const vec wv = vloadu(w + i);
        for (int r = 0; r < N; r++) acc[r] = vfma(wv, vloadu(x + (size_t)r * IC + i), acc[r]);
      }
      for (int r = 0; r < N; r++) {
        float s = vsum(acc[r]);
        for (int k = i; k < IC; k++) s += w[k] * x[(size_t)r * IC + k];
        y[(size_t)r * OC + o] = s + (b ? b[o] : 0.f);
      }
    }
  });
}

// y (N, OC) = b in every row: the GEMM then accumulates onto it.
void seed_bias(float* y, const float* b, int N, int OC) {
  parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      for (int o = 0; o < OC; o++) y[r * OC + o] = b[o];
  });
}

// db (OC) += Σ_rows dy (N, OC).
void bias_backward(float* db, const float* dy, int N, int OC) {
  parallel_for(OC, 64, [&](int64_t o0, int64_t o1) {
    std::vector<float> acc(o1 - o0, 0.f);
    for (int64_t r = 0; r < N; r++)
      for (int64_t o = o0; o < o1; o++) acc[o - o0] += dy[r * OC + o];
    for (int64_t o = o0; o < o1; o++) db[o] += acc[o - o0];
  });
}

}  // namespace

void linear_forward(float* y, const float* x, const float* W, const float* b, int N, int IC, int OC) {
  using FewRows = void (*)(float*, const float*, const float*, const float*, int, int);
  static constexpr FewRows few_rows[kFewRows] = {linear_forward_few_rows<1>, linear_forward_few_rows<2>, linear_forward_few_rows<3>,
                                                linear_forward_few_rows<4>, linear_forward_few_rows<5>, linear_forward_few_rows<6>,
                                                linear_forward_few_rows<7>, linear_forward_few_rows<8>};
  if (N >= 1 && N <= kFewRows) return few_rows[N - 1](y, x, W, b, IC, OC);
  if (b) seed_bias(y, b, N, OC);
  sgemm(false, true, N, OC, IC, 1.f, x, IC, W, IC, b ? 1.f : 0.f, y, OC);
}

void linear_backward(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W, int N, int IC,
                     int OC) {
  if (dx) sgemm(false, false, N, IC, OC, 1.f, dy, OC, W, IC, 1.f, dx, IC);
  if (dW) sgemm(true, false, OC, IC, N, 1.f, dy, OC, x, IC, 1.f, dW, IC);
  if (db) bias_backward(db, dy, N, OC);
}

void linear_forward_bf16(GemmBf16* gemm, float* y, const uint16_t* x, const uint16_t* W, const float* b, int N, int IC,
                         int OC) {
  if (b) seed_bias(y, b, N, OC);
  gemm(false, true, N, OC, IC, 1.f, x, IC, W, IC, b ? 1.f : 0.f, y, OC);
}

void linear_backward_bf16(GemmBf16* gemm, float* dx, float* dW, const uint16_t* dyb, const uint16_t* x,
                          const uint16_t* W, int N, int IC, int OC) {
  if (dx) gemm(false, false, N, IC, OC, 1.f, dyb, OC, W, IC, 1.f, dx, IC);
  if (dW) gemm(true, false, OC, IC, N, 1.f, dyb, OC, x, IC, 1.f, dW, IC);
}

}  // namespace MOTIF_ISA
}  // namespace motif
