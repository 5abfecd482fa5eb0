// Causal attention of a few new positions over a KV cache: the inner step of incremental decoding
// (native/src/decoder.h). Forward only: nothing is trained through a cache. Each new query at
// absolute position P + t attends to cached keys 0 .. P + t, which already include the new ones.
// Work is one (stream, head, query) triple per task; a row of scores (≤ cap floats) is the only
// scratch, so memory does not grow with the batch. Scale 1/√HS and no dropout, as in evaluation.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/simd.h"
#include "threads.h"

namespace motif {
namespace MOTIF_ISA {
namespace {

float dot(const float* a, const float* b, int n) {
  int i = 0;
  float s = 0.f;
  if (n >= W) {
    vec acc = vzero();
    for (; i + W <= n; i += W) acc = vfma(vloadu(a + i), vloadu(b + i), acc);
    s = vsum(acc);
  }
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// y += a · x over n floats.
void axpy(float* y, float a, const float* x, int n) {
  int i = 0;
  const vec va = vset1(a);
  for (; i + W <= n; i += W) vstoreu(y + i, vfma(va, vloadu(x + i), vloadu(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

}  // namespace

void attention_cached_forward(float* out, const float* q, int ldq, const float* kcache, const float* vcache, int S,
                              int n, int P, int cap, int C, int NH) {
  const int HS = C / NH;
  const float scale = 1.f / std::sqrt((float)HS);
  parallel_for((int64_t)S * NH * n, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> p((size_t)P + n);
    for (int64_t task = begin; task < end; task++) {
      const int t = (int)(task % n), h = (int)(task / n % NH), s = (int)(task / ((int64_t)n * NH));
      const float* qv = q + ((size_t)s * n + t) * ldq + (size_t)h * HS;
      const float* K = kcache + (size_t)s * cap * C + (size_t)h * HS;
      const float* Vv = vcache + (size_t)s * cap * C + (size_t)h * HS;
      const int len = P + t + 1;
      float mx = -INFINITY;
      for (int j = 0; j < len; j++) {
        p[j] = dot(qv, K + (size_t)j * C, HS) * scale;
        mx = std::max(mx, p[j]);
      }
      float sum = 0.f;
      for (int j = 0; j < len; j++) sum += (p[j] = std::exp(p[j] - mx));
      float* o = out + ((size_t)s * n + t) * C + (size_t)h * HS;
      for (int c = 0; c < HS; c++) o[c] = 0.f;
      const float inv = 1.f / sum;
      for (int j = 0; j < len; j++) axpy(o, p[j] * inv, Vv + (size_t)j * C, HS);
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
