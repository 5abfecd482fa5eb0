// Elementwise activations, forward beside backward: ReLU and exact-erf GELU (PyTorch's default
// F.gelu, not the tanh approximation). Backward accumulates into dx.
#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

constexpr int64_t kGrain = 1 << 14;

void relu_forward(float* out, const float* x, size_t n) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) out[i] = x[i] > 0.f ? x[i] : 0.f;
  });
}

void relu_backward(float* dx, const float* dout, const float* x, size_t n) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float g = dout[i];  // loaded unconditionally so the select vectorizes
      dx[i] += x[i] > 0.f ? g : 0.f;
    }
  });
}

// Φ(x) = erfc(-x/√2)/2 keeps full relative precision in the left tail, where 1 + erf(x) cancels.
static inline float normal_cdf(float x) { return 0.5f * erfc_approx(-0.70710678118654752f * x); }

void gelu_forward(float* out, const float* x, size_t n) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) out[i] = x[i] * normal_cdf(x[i]);
  });
}

void gelu_backward(float* dx, const float* dout, const float* x, size_t n) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float pdf = 0.39894228040143268f * exp_approx(-0.5f * x[i] * x[i]);
      dx[i] += dout[i] * (normal_cdf(x[i]) + x[i] * pdf);
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
