#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace onyx {

namespace {

std::atomic<int> g_threads{0};
thread_local bool t_in_parallel = false;

// Workers and the caller spin this long for the next region / the region's end before sleeping on a condition
// variable: kernels run hundreds of short regions per inference, and a futex wake-up costs tens of microseconds.
constexpr std::chrono::microseconds kSpin{50};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until pred() or kSpin has passed; returns pred().
template <typename Pred>
bool spin_until(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > end) return pred();
  }
}

class Pool {
 public:
  explicit Pool(int n) {
    for (int i = 0; i < n; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  size_t size() const { return workers_.size(); }

  // Runs task(i) for i in [0, count) on the workers and the calling thread.
  void run(int64_t count, const std::function<void(int64_t)>& task) {
    std::unique_lock<std::mutex> lock(run_mu_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> l(mu_);
      task_ = &task;
      count_ = count;
      next_ = 0;
      pending_ = count;
      error_ = nullptr;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    cv_.notify_all();
    work();
    spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> l(mu_);
    done_cv_.wait(l, [&] { return pending_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    t_in_parallel = true;
    for (;;) {
      int64_t i;
      const std::function<void(int64_t)>* task;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!task_ || next_ >= count_) break;
        i = next_++;
        task = task_;
      }
      try {
        (*task)(i);
      } catch (...) {
        std::lock_guard<std::mutex> l(mu_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> l(mu_);
      if (--pending_ == 0) done_cv_.notify_all();
    }
    t_in_parallel = false;
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      spin_until([&] { return published_.load(std::memory_order_acquire) != seen || stopping_.load(); });
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || (generation_ != seen && task_ && next_ < count_); });
        if (stop_) return;
        seen = generation_;
      }
      work();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t count_ = 0, next_ = 0;
  std::atomic<int64_t> pending_{0};  // written under mu_; read without it while spinning
  uint64_t generation_ = 0;
  std::atomic<uint64_t> published_{0};  // generation_, for spinning workers
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p(std::max(0, num_threads() - 1));
  return p;
}

}  // namespace

int num_threads() {
  int n = g_threads.load();
  if (n <= 0) {
    n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    g_threads.store(n);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(std::max(1, n)); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int threads = num_threads();
  const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, static_cast<int64_t>(threads) * 4);
  if (threads <= 1 || chunks <= 1 || t_in_parallel) {
    fn(0, n);
    return;
  }
  const int64_t per = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    const int64_t b = c * per;
    const int64_t e = std::min(n, b + per);
    if (b < e) fn(b, e);
  });
}

void parallel_parts(int parts, const std::function<void(int)>& fn) {
  if (parts <= 0) return;
  if (parts == 1 || num_threads() <= 1 || t_in_parallel) {
    for (int t = 0; t < parts; ++t) fn(t);
    return;
  }
  pool().run(parts, [&](int64_t c) { fn(static_cast<int>(c)); });
}

void parallel_tasks(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (n == 1 || num_threads() <= 1 || t_in_parallel) {
    for (int64_t t = 0; t < n; ++t) fn(t);
    return;
  }
  pool().run(n, fn);
}

bool in_parallel_region() { return t_in_parallel; }

}  // namespace onyx
