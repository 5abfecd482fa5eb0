// LayerNorm over the channels of each row, forward beside backward (eps 1e-5, biased variance, as
// PyTorch). Rows run in parallel; dw/db are summed per chunk of rows and then in chunk order, so
// results do not depend on thread timing. Not RMSNorm.
#include <cmath>
#include <vector>

#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b, int N,
                       int C) {
  parallel_for(N, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* o = out + r * C;
      const float m = lane_sum(C, [&](int c) { return xr[c]; }) / C;
      const float var = lane_sum(C, [&](int c) { return (xr[c] - m) * (xr[c] - m); }) / C;
      const float s = 1.f / std::sqrt(var + 1e-5f);
      for (int c = 0; c < C; c++) o[c] = (xr[c] - m) * s * w[c] + b[c];
      mean[r] = m;
      rstd[r] = s;
    }
  });
}

void layernorm_backward(float* dx, float* dw, float* db, const float* dout, const float* x, const float* w,
                        const float* mean, const float* rstd, int N, int C) {
  const int chunks = chunk_count(N, 16);
  std::vector<float> partial((dw || db) ? (size_t)chunks * 2 * C : 0, 0.f);  // per chunk: dw | db
  chunked_for(N, chunks, [&](int k, int64_t r0, int64_t r1) {
    float* pdw = partial.empty() ? nullptr : partial.data() + (size_t)k * 2 * C;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      const float* g = dout + r * C;
      const float m = mean[r], s = rstd[r];
      if (pdw)
        for (int c = 0; c < C; c++) {
          pdw[c] += g[c] * (xr[c] - m) * s;
          pdw[C + c] += g[c];
        }
      if (!dx) continue;
      const float a = lane_sum(C, [&](int c) { return g[c] * w[c]; }) / C;
      const float bb = lane_sum(C, [&](int c) { return g[c] * w[c] * (xr[c] - m) * s; }) / C;
      float* d = dx + r * C;
      for (int c = 0; c < C; c++) d[c] += (g[c] * w[c] - a - (xr[c] - m) * s * bb) * s;
    }
  });
  for (int k = 0; k < (partial.empty() ? 0 : chunks); k++)
    for (int c = 0; c < C; c++) {
      if (dw) dw[c] += partial[(size_t)k * 2 * C + c];
      if (db) db[c] += partial[(size_t)k * 2 * C + C + c];
    }
}

}  // namespace MOTIF_ISA
}  // namespace motif
