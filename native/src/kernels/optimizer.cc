// Optimizer pieces over flat parameter buffers: gradient-norm and L1 reductions (double
// accumulators, summed per chunk then in chunk order, so reproducible), the L1 subgradient, scaling
// and the AdamW update with PyTorch's semantics. Not the schedule or the clipping policy (training code).
#include <cmath>
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

constexpr int64_t kGrain = 1 << 15;

// Σ f(x[i]) in double: 8 double lanes (the compiler widens floats to doubles in vector registers).
template <typename F>
static double reduce_double(const float* x, size_t n, F f) {
  const int chunks = chunk_count((int64_t)n, kGrain);
  std::vector<double> partial(chunks, 0.0);
  chunked_for((int64_t)n, chunks, [&](int k, int64_t b, int64_t e) {
    double acc[8] = {};
    int64_t i = b;
    for (; i + 8 <= e; i += 8)
      for (int l = 0; l < 8; l++) acc[l] += f((double)x[i + l]);
    double s = 0;
    for (; i < e; i++) s += f((double)x[i]);
    for (int l = 0; l < 8; l++) s += acc[l];
    partial[k] = s;
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

double sum_squares(const float* g, size_t n) { return reduce_double(g, n, [](double v) { return v * v; }); }

double sum_abs(const float* w, size_t n) { return reduce_double(w, n, [](double v) { return std::fabs(v); }); }

void l1_grad(float* g, const float* w, size_t n, float l1) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float wi = w[i];
      g[i] += l1 * (float)((wi > 0.f) - (wi < 0.f));
    }
  });
}

void scale(float* x, size_t n, float s) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) x[i] *= s;
  });
}

void adamw_update(float* w, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int t) {
  const float decay = 1.f - lr * weight_decay;
  const float step = (float)(lr / (1.0 - std::pow((double)beta1, t)));
  const float inv_sqrt_bc2 = (float)(1.0 / std::sqrt(1.0 - std::pow((double)beta2, t)));
  const float a1 = 1.f - beta1, a2 = 1.f - beta2;
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float mi = beta1 * m[i] + a1 * g[i];
      const float vi = beta2 * v[i] + a2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * decay - step * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
