// Token + learned positional embedding, forward beside backward. The backward scatters rows into
// dwte at token ids that repeat, so it is split over channel slices rather than rows: no two threads
// ever touch the same float and the result does not depend on thread timing.
#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

void embedding_forward(float* out, const int32_t* tokens, const float* wte, const float* wpe, int B, int T, int C) {
  parallel_for((int64_t)B * T, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* te = wte + (int64_t)tokens[r] * C;
      const float* pe = wpe + (r % T) * C;
      float* o = out + r * C;
      for (int c = 0; c < C; c++) o[c] = te[c] + pe[c];
    }
  });
}

void embedding_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens, int B, int T, int C) {
  const int64_t N = (int64_t)B * T;
  parallel_for(C, 32, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < N; r++) {
      const float* g = dout + r * C;
      if (dwte) {
        float* d = dwte + (int64_t)tokens[r] * C;
        for (int64_t c = c0; c < c1; c++) d[c] += g[c];
      }
      if (dwpe) {
        float* d = dwpe + (r % T) * C;
        for (int64_t c = c0; c < c1; c++) d[c] += g[c];
      }
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
