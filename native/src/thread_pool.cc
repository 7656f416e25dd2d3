// Persistent workers that spin briefly, then sleep on a condition variable, between jobs; a job's
// slots go to whichever thread claims them first.
#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <unistd.h>

namespace shorten {
namespace {

thread_local bool insideJob = false;

int defaultThreadCount() {
  const char* env = std::getenv("SHORTEN_THREADS");
  if (env != nullptr && *env != '\0') {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 1 ? static_cast<int>(cores) : 1;
}

class Pool {
 public:
  explicit Pool(int n) : size_(n) {
    for (int t = 1; t < n; ++t) workers_.emplace_back([this, t] { workerLoop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return size_; }

  void run(const std::function<void(int, int)>& fn) {
    if (size_ == 1) {
      insideJob = true;
      fn(0, 1);
      insideJob = false;
      return;
    }
    std::lock_guard<std::mutex> callerLock(callMutex_);  // one job at a time
    job_ = &fn;
    pending_.store(size_, std::memory_order_relaxed);
    nextSlot_.store(0, std::memory_order_release);  // opens the slots; job_ and pending_ are set
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    insideJob = true;
    runSlots();
    insideJob = false;
    // Wait only for slots a worker has started: one still unclaimed was run above.
    int spins = 0;
    while (pending_.load(std::memory_order_acquire) != 0) {
      if (++spins > 4096) std::this_thread::yield();
    }
    job_ = nullptr;
  }

 private:
  // The job's size_ slots go to whichever thread claims them first, the caller included. A worker
  // the OS has not scheduled (another process on the cores) then delays nothing: with a fixed
  // slot per thread, every small job waited a time slice for it, and batch-16 generation beside
  // one busy process ran 28 times slower on 2 threads than on 1.
  // job_ is read only after a slot is claimed: the caller stores it before it opens the slots, and
  // cannot finish the job (nor post the next) while a claimed slot is unfinished.
  void runSlots() {
    for (;;) {
      const int slot = nextSlot_.fetch_add(1, std::memory_order_acq_rel);
      if (slot >= size_) return;
      (*job_)(slot, size_);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void workerLoop(int) {
    insideJob = true;
    uint64_t seen = 0;  // the generation at construction: a job posted before this thread ran is still seen
    for (;;) {
      // Spin for about a millisecond before sleeping: kernels come back to back with a little
      // JavaScript between them, and a futex wake-up costs more than most small kernels.
      uint64_t now = seen;
      auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(1000);
      for (int i = 0;; ++i) {
        now = generation_.load(std::memory_order_acquire);
        if (now != seen) break;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
        if ((i & 63) == 0 && std::chrono::steady_clock::now() > spinUntil) break;
      }
      if (now == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        now = generation_.load(std::memory_order_acquire);
      }
      seen = now;
      if (stop_) return;
      // A worker waking late may find the job's slots all taken (then it runs nothing), or the
      // next job already posted, whose slots it may then help with.
      runSlots();
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex callMutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> nextSlot_{1 << 30};  // closed until a job opens its slots
  const std::function<void(int, int)>* volatile job_ = nullptr;
  bool stop_ = false;
};

std::mutex poolMutex;
std::unique_ptr<Pool> pool;

Pool& getPool() {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (!pool) pool = std::make_unique<Pool>(defaultThreadCount());
  return *pool;
}

}  // namespace

int threadCount() { return getPool().size(); }

void setThreadCount(int n) {
  if (n < 1) n = 1;
  std::lock_guard<std::mutex> lock(poolMutex);
  if (pool && pool->size() == n) return;
  pool.reset();
  pool = std::make_unique<Pool>(n);
}

void runOnThreads(const std::function<void(int, int)>& fn) {
  if (insideJob) {
    fn(0, 1);
    return;
  }
  getPool().run(fn);
}

void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, int64_t costPerItem) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t units = (n + grain - 1) / grain;
  if (units == 1 || insideJob || (costPerItem > 0 && n * costPerItem < kInlineWork)) {
    fn(0, n);
    return;
  }
  runOnThreads([&](int tid, int nt) {
    int64_t per = units / nt, extra = units % nt;
    int64_t u0 = tid * per + (tid < extra ? tid : extra);
    int64_t u1 = u0 + per + (tid < extra ? 1 : 0);
    int64_t b = u0 * grain, e = u1 * grain < n ? u1 * grain : n;
    if (b < e) fn(b, e);
  });
}

}  // namespace shorten
