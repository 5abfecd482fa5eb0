// Fused softmax + cross-entropy over rows of logits, parallel over rows. Per row: one pass for the
// max, one that sums exp(l - max) (and, when training, stores those exps in place), one that scales
// them into the gradient, so the (N, V) probabilities never exist separately; a 30k row (120 KB)
// stays in L2 between the passes. Not label smoothing.
#include <cmath>
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

// Loss of each row into row_loss; with GRAD, logits become the gradient · grad_scale.
template <bool GRAD>
static double crossentropy(float* logits, float* losses, const int32_t* targets, int N, int V, int ignore_index,
                           float grad_scale) {
  std::vector<double> row_loss(N, 0.0);
  parallel_for(N, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float* l = logits + r * V;
      const int tgt = targets[r];
      if (tgt == ignore_index) {
        if (GRAD)
          for (int v = 0; v < V; v++) l[v] = 0.f;
        continue;
      }
      const float mx = lane_max(l, V);
      const float target_logit = l[tgt];
      const float sum = lane_sum(V, [&](int v) {
        const float e = exp_approx(l[v] - mx);
        if (GRAD) l[v] = e;
        return e;
      });
      if (GRAD) {
        const float k = grad_scale / sum;
        for (int v = 0; v < V; v++) l[v] *= k;
        l[tgt] -= grad_scale;
      }
      row_loss[r] = (double)mx + std::log((double)sum) - target_logit;
    }
  });
  double total = 0;
  for (int r = 0; r < N; r++) {
    if (losses) losses[r] = (float)row_loss[r];
    total += row_loss[r];
  }
  return total;
}

double crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     int ignore_index, float grad_scale) {
  return crossentropy<true>(logits, losses, targets, N, V, ignore_index, grad_scale);
}

double crossentropy_forward(float* losses, const float* logits, const int32_t* targets, int N, int V,
                            int ignore_index) {
  // GRAD = false never writes through the pointer.
  return crossentropy<false>(const_cast<float*>(logits), losses, targets, N, V, ignore_index, 0.f);
}

}  // namespace MOTIF_ISA
}  // namespace motif
