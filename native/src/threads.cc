// The shared worker pool behind parallel_for: threads are created once and parked on a condition
// variable between calls, because spawning threads per kernel call costs more than small kernels.
#include "threads.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace motif {
namespace {

class Pool {
 public:
  Pool() {
    const char* env = std::getenv("MOTIF_THREADS");
    int n = env ? std::atoi(env) : (int)std::thread::hardware_concurrency();
    threads_ = std::max(1, n);
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_++;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return threads_; }
  void set_threads(int n) { threads_ = std::max(1, n); }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    int64_t chunks = (n + grain - 1) / grain;
    int parts = (int)std::min<int64_t>(threads_, chunks);
    if (parts <= 1) { fn(0, n); return; }
    std::lock_guard<std::mutex> serial(run_mu_);  // one parallel region at a time
    ensure_workers(parts - 1);
    int64_t per = (chunks + parts - 1) / parts * grain;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn; n_ = n; per_ = per; parts_ = parts; pending_ = parts - 1;
      generation_++;
    }
    wake_.notify_all();
    fn(0, std::min(n, per));  // the caller takes part 0
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void ensure_workers(int count) {
    while ((int)workers_.size() < count) {
      int index = (int)workers_.size() + 1;
      workers_.emplace_back([this, index] { loop(index); });
    }
  }
  void loop(int index) {
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = generation_ - (fn_ ? 1 : 0);  // a region already open when we start is ours too
    }
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
      if (begin < end) (*fn)(begin, end);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, per_ = 0;
  int parts_ = 0, pending_ = 0;
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
