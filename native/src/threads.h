// A persistent pool of worker threads shared by all kernels (created once, sized to the cores).
// parallel_for splits [0, n) into contiguous ranges, one per thread, and runs them to completion.
#pragma once
#include <cstdint>
#include <functional>

namespace motif {

/** Number of threads kernels use (default: hardware cores, or MOTIF_THREADS). */
int num_threads();
/** Sets the number of threads (≥ 1); takes effect for the next parallel_for. */
void set_num_threads(int n);
/** Runs fn(begin, end) over a static partition of [0, n) into at most num_threads() ranges
 *  of whole multiples of `grain` (the last may be shorter); returns when all are done. */
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace motif
