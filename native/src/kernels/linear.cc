// Fully connected layer y = x·Wᵀ + b, forward beside backward, over this ISA's sgemm (sgemm.cc).
// The bias is fused by seeding y with it and letting sgemm accumulate (beta = 1); the bias gradient
// is a column sum split over column slices. Not a matmul: sgemm does the heavy lifting.
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

void linear_forward(float* y, const float* x, const float* W, const float* b, int N, int IC, int OC) {
  if (b)
    parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++)
        for (int o = 0; o < OC; o++) y[r * OC + o] = b[o];
    });
  sgemm(false, true, N, OC, IC, 1.f, x, IC, W, IC, b ? 1.f : 0.f, y, OC);
}

void linear_backward(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W, int N, int IC,
                     int OC) {
  if (dx) sgemm(false, false, N, IC, OC, 1.f, dy, OC, W, IC, 1.f, dx, IC);
  if (dW) sgemm(true, false, OC, IC, N, 1.f, dy, OC, x, IC, 1.f, dW, IC);
  if (db)
    parallel_for(OC, 64, [&](int64_t o0, int64_t o1) {
      std::vector<float> acc(o1 - o0, 0.f);
      for (int64_t r = 0; r < N; r++)
        for (int64_t o = o0; o < o1; o++) acc[o - o0] += dy[r * OC + o];
      for (int64_t o = o0; o < o1; o++) db[o] += acc[o - o0];
    });
}

}  // namespace MOTIF_ISA
}  // namespace motif
