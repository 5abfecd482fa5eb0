// Elementwise activations, forward beside backward: ReLU and exact-erf GELU (PyTorch's default
// F.gelu, not the tanh approximation). Backward accumulates into dx.
// The bf16 pair (activation_forward_bf16 / activation_backward_bf16) produces GEMM operands directly in
// bf16: the same values as the fp32 kernels followed by f32_to_bf16 (and, backward, the bias gradient
// summed from the fp32 values), without writing and re-reading (N, F) fp32 arrays. Backward through no
// activation is how every bf16 linear layer rounds its output gradient and sums its bias gradient.
#include <algorithm>
#include <vector>

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

static inline float gelu_slope(float x) {
  return normal_cdf(x) + x * 0.39894228040143268f * exp_approx(-0.5f * x * x);
}

void gelu_backward(float* dx, const float* dout, const float* x, size_t n) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) dx[i] += dout[i] * gelu_slope(x[i]);
  });
}

// ── bf16 operands straight from the activation ────────────────────────────────────────────────
// Each thread computes a strip of kStrip values into a stack buffer (L1) and rounds it out.
constexpr int kStrip = 512;

void activation_forward_bf16(uint16_t* out, const float* x, size_t n, Activation act) {
  parallel_for((int64_t)n, kGrain, [=](int64_t b, int64_t e) {
    alignas(64) float buf[kStrip];
    for (int64_t i = b; i < e; i += kStrip) {
      const int len = (int)std::min<int64_t>(kStrip, e - i);
      const float* in = x + i;
      const float* y = buf;  // no activation: x itself, not copied
      if (act == Activation::gelu)
        for (int j = 0; j < len; j++) buf[j] = in[j] * normal_cdf(in[j]);
      else if (act == Activation::relu)
        for (int j = 0; j < len; j++) buf[j] = in[j] > 0.f ? in[j] : 0.f;
      else
        y = in;
      f32_to_bf16(out + i, y, (size_t)len);
    }
  });
}

void activation_backward_bf16(uint16_t* dxb, float* db, const float* dout, const float* x, int N, int F,
                              Activation act) {
  // Rows in chunks; each chunk sums its rows' gradients into its own partial db, added in chunk order.
  const int chunks = chunk_count(N, std::max<int64_t>(1, kGrain / std::max(1, F)));
  std::vector<float> partial(db ? (size_t)chunks * F : 0, 0.f);
  chunked_for(N, chunks, [&](int c, int64_t r0, int64_t r1) {
    float* acc = db ? partial.data() + (size_t)c * F : nullptr;
    alignas(64) float buf[kStrip];
    for (int64_t r = r0; r < r1; r++)
      for (int f0 = 0; f0 < F; f0 += kStrip) {
        const int len = std::min(kStrip, F - f0);
        const size_t at = (size_t)r * F + f0;
        const float *g = dout + at, *in = x ? x + at : nullptr;
        const float* grad = buf;  // through no activation: dout itself, not copied
        if (act == Activation::gelu)
          for (int j = 0; j < len; j++) buf[j] = g[j] * gelu_slope(in[j]);
        else if (act == Activation::relu)
          for (int j = 0; j < len; j++) buf[j] = in[j] > 0.f ? g[j] : 0.f;
        else
          grad = g;
        if (acc)
          for (int j = 0; j < len; j++) acc[f0 + j] += grad[j];
        f32_to_bf16(dxb + at, grad, (size_t)len);
      }
  });
  for (int c = 0; db && c < chunks; c++)
    for (int f = 0; f < F; f++) db[f] += partial[(size_t)c * F + f];
}

}  // namespace MOTIF_ISA
}  // namespace motif
