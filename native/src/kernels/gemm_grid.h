// What every GEMM of the core (sgemm.cc, gemm_bf16.cc) does alike around its micro-kernels: how C is
// shared among the pool's threads (one block of whole micro-tiles per thread, each thread packing its
// own panels) and how a micro-tile of C is fetched ahead. Not a GEMM itself.
#pragma once
#include <algorithm>
#include <cstdint>

#include "threads.h"

namespace motif {
namespace MOTIF_ISA {

/** Asks for every cache line of the rows × cols fp32 tile at C (row stride ldc), for writing. A
 *  micro-kernel calls it before its k loop: C is far larger than the caches at the model's shapes,
 *  and without this each tile's read-for-ownership misses came after the loop, stalling its stores
 *  (a third of the bf16 micro-kernel's time at K = 384, measured with perf). */
inline void prefetch_tile(const float* C, int ldc, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    uintptr_t line = (uintptr_t)(C + (size_t)r * ldc) & ~(uintptr_t)63;
    uintptr_t last = (uintptr_t)(C + (size_t)r * ldc + cols - 1);
    for (; line <= last; line += 64) __builtin_prefetch((const void*)line, 1);
  }
}

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
