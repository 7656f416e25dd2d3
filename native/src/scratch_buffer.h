// A packing buffer that grows but never shrinks, one per thread and role: pool threads are
// persistent, so steady-state GEMM calls allocate nothing. Shared by every GEMM path; kept in an
// anonymous namespace like the kernels that include it, so no ISA's copy can stand in for another's.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace shorten {
namespace {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { std::free(data_); }

  // Room for at least `count` elements of T, 64-byte aligned. Contents do not survive a growth.
  template <class T>
  T* reserve(size_t count) {
    const size_t bytes = count * sizeof(T);
    if (bytes > capacity_) {
      std::free(data_);
      const size_t rounded = (bytes + 4095) & ~size_t{4095};
      data_ = std::aligned_alloc(64, rounded);
      capacity_ = data_ == nullptr ? 0 : rounded;
      if (data_ == nullptr) throw std::bad_alloc();
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace
}  // namespace shorten
