// Inverted dropout, forward and backward: the mask is regenerated from the hash in common.h, never
// stored. Not attention dropout (attention.cc applies the same hash to its probabilities).
#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

// y[i] (=|+=) x[i] · keep(seed, i) · scale; ACCUMULATE selects backward's +=.
template <bool ACCUMULATE>
static void dropout_apply(float* y, const float* x, size_t n, float p, uint64_t seed) {
  const uint32_t threshold = dropout_threshold(p);
  const float scale = dropout_scale(p);
  parallel_for((int64_t)n, 1 << 14, [&](int64_t begin, int64_t end) {
    dropout_spans(seed, (uint64_t)begin, (uint64_t)(end - begin), [&](uint32_t key, uint32_t lo, uint64_t off, uint64_t cnt) {
      float* yo = y + begin + off;
      const float* xo = x + begin + off;
      for (uint64_t i = 0; i < cnt; i++) {
        float v = xo[i] * dropout_keep(key, lo + (uint32_t)i, threshold, scale);
        if (ACCUMULATE) yo[i] += v; else yo[i] = v;
      }
    });
  });
}

void dropout_forward(float* out, const float* x, size_t n, float p, uint64_t seed) {
  dropout_apply<false>(out, x, n, p, seed);
}

void dropout_backward(float* dx, const float* dout, size_t n, float p, uint64_t seed) {
  dropout_apply<true>(dx, dout, n, p, seed);
}

}  // namespace MOTIF_ISA
}  // namespace motif
