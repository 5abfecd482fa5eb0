// The shared worker pool behind parallel_for: threads are created once and parked on a condition
// variable between calls, because spawning threads per kernel call costs more than small kernels.
// A parallel_for called from inside a region (a kernel calling sgemm from its own parallel_for)
// runs serially on its thread instead of waiting for workers that are busy with the outer region.
#include "threads.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

namespace motif {
namespace {

// Cores this process may run on (cgroup/affinity aware on Linux), at least 1.
int available_cores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  return std::max(1, (int)std::thread::hardware_concurrency());
}

int initial_threads() {
  const char* env = std::getenv("MOTIF_THREADS");
  int n = env && *env ? std::atoi(env) : 0;
  return n >= 1 ? n : available_cores();
}

thread_local bool in_region = false;  // this thread is running part of a parallel_for

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_++;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return threads_.load(std::memory_order_relaxed); }
  void set_threads(int n) { threads_.store(std::max(1, n), std::memory_order_relaxed); }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    int64_t chunks = (n + grain - 1) / grain;
    int parts = (int)std::min<int64_t>(threads(), chunks);
    if (parts <= 1 || in_region) {
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mu_);  // one region at a time (callers on several threads queue)
    ensure_workers(parts - 1);
    int64_t per = (chunks + parts - 1) / parts * grain;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      n_ = n;
      per_ = per;
      parts_ = parts;
      pending_ = parts - 1;
      error_ = nullptr;
      generation_++;
    }
    wake_.notify_all();
    std::exception_ptr mine;
    in_region = true;
    try {
      fn(0, std::min(n, per));  // the caller takes part 0
    } catch (...) {
      mine = std::current_exception();
    }
    in_region = false;
    // Workers still hold &fn: wait for them even when part 0 threw, then rethrow.
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
    fn_ = nullptr;
    std::exception_ptr theirs = error_;
    error_ = nullptr;
    lock.unlock();
    if (mine) std::rethrow_exception(mine);
    if (theirs) std::rethrow_exception(theirs);
  }

 private:
  void ensure_workers(int count) {
    while ((int)workers_.size() < count) {
      int index = (int)workers_.size() + 1;
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen = generation_;  // no region is open here (run_mu_ is held), so none is missed
      }
      workers_.emplace_back([this, index, seen] { loop(index, seen); });
    }
  }
  void loop(int index, uint64_t seen) {
    in_region = true;  // anything a worker runs is inside a region
    for (;;) {
      const std::function<void(int64_t, int64_t)>* fn;
      int64_t begin, end;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (!fn_ || index >= parts_) continue;
        fn = fn_;
        begin = std::min(n_, per_ * index);
        end = std::min(n_, begin + per_);
      }
      std::exception_ptr err;
      if (begin < end) {
        try {
          (*fn)(begin, end);
        } catch (...) {
          err = std::current_exception();
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (err && !error_) error_ = err;
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::atomic<int> threads_{initial_threads()};
  std::vector<std::thread> workers_;  // guarded by run_mu_
  std::mutex mu_, run_mu_;
  std::condition_variable wake_, done_;
  // The open region, guarded by mu_.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, per_ = 0;
  int parts_ = 0, pending_ = 0;
  std::exception_ptr error_;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

int num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) { pool().run(n, grain, fn); }

}  // namespace motif
