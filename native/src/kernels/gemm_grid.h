// How every GEMM of the core (sgemm.cc, gemm_bf16.cc) shares C among the pool's threads: one block
// of whole micro-tiles per thread, each thread packing its own panels. Not a GEMM: only the split.
#pragma once
#include <algorithm>
#include <cstdint>

#include "threads.h"

namespace motif {
namespace MOTIF_ISA {

/** Runs block(m0, m1, n0, n1) over a pm × pn grid of C (M, N), one cell per thread, on the pool.
 *  The grid minimizes a thread's compute (rounded to whole MR × NR micro-tiles) plus its packing,
 *  which grows with the block's perimeter; products under 2²¹ multiply-adds stay on one thread. */
template <typename Block>
inline void gemm_parallel(int M, int N, int K, int MR, int NR, Block block) {
  int threads = (double)M * N * K < 1 << 21 ? 1 : num_threads();
  int pm = 1, pn = 1;
  double best = -1;
  for (int tm = 1; tm <= threads; tm++) {
    if (threads % tm) continue;
    int tn = threads / tm;
    double mb = ((M + tm - 1) / tm + MR - 1) / MR * MR, nb = ((N + tn - 1) / tn + NR - 1) / NR * NR;
    double cost = mb * nb + 32.0 * (mb + nb);
    if (best < 0 || cost < best) best = cost, pm = tm, pn = tn;
  }
  int mstep = ((M + pm - 1) / pm + MR - 1) / MR * MR, nstep = ((N + pn - 1) / pn + NR - 1) / NR * NR;
  parallel_for(pm * pn, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      int m0 = (int)(t / pn) * mstep, n0 = (int)(t % pn) * nstep;
      if (m0 < M && n0 < N) block(m0, std::min(M, m0 + mstep), n0, std::min(N, n0 + nstep));
    }
  });
}

}  // namespace MOTIF_ISA
}  // namespace motif
