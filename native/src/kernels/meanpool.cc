// Masked mean over time of the last hidden states (a song embedding), forward beside backward.
// Not windowing of long pieces: callers pool each window and combine.
#include "kernels/common.h"
#include "kernels/kernels.h"

namespace motif {
namespace MOTIF_ISA {

static int valid_steps(const uint8_t* mask, int T) {
  int n = 0;
  for (int t = 0; t < T; t++) n += mask[t] != 0;
  return n;
}

void meanpool_forward(float* out, const float* h, const uint8_t* mask, int B, int T, int C) {
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* o = out + b * C;
      for (int c = 0; c < C; c++) o[c] = 0.f;
      const int n = valid_steps(mask + b * T, T);
      if (!n) continue;
      for (int t = 0; t < T; t++)
        if (mask[b * T + t]) {
          const float* hr = h + (b * T + t) * C;
          for (int c = 0; c < C; c++) o[c] += hr[c];
        }
      const float inv = 1.f / n;
      for (int c = 0; c < C; c++) o[c] *= inv;
    }
  });
}

void meanpool_backward(float* dh, const float* dout, const uint8_t* mask, int B, int T, int C) {
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int n = valid_steps(mask + b * T, T);
      if (!n) continue;
      const float inv = 1.f / n;
      const float* g = dout + b * C;
      for (int t = 0; t < T; t++)
        if (mask[b * T + t]) {
          float* d = dh + (b * T + t) * C;
          for (int c = 0; c < C; c++) d[c] += g[c] * inv;
        }
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
