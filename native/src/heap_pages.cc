// The heap that activations and gradients live in. Tensors of megabytes are made and dropped every op;
// in a virtual machine the first write to each fresh 4 KiB page costs a fault that can cost more than
// the GEMM writing it (a bf16 training step of the 2048-wide model spent 9 of its 15 s faulting 4 GB
// of pages back in). Two remedies, both on by default, both Linux-only:
//  - malloc serves big buffers from its heap instead of fresh mmaps, and keeps up to 1 GiB of freed
//    top (SHORTEN_MALLOC_HEAP=0 keeps malloc's own thresholds);
//  - the heap is advised into transparent huge pages as it grows (where THP is "madvise" or "always"),
//    so a fresh 2 MiB costs one fault, not 512, as glibc's glibc.malloc.hugetlb=1 tunable would do
//    (SHORTEN_HUGE_PAGES=0 turns it off).
#include "heap_pages.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace shorten {

namespace {
bool hugeActive = false;
/** The first huge page boundary above the heap's end at load: nothing below it is ours to advise. */
uintptr_t heapStart = 0;
constexpr uintptr_t kHuge = uintptr_t(2) << 20;

bool envOff(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "0") == 0;
}

#if defined(__linux__)
/** THP is usable by madvise unless the system says "never" (or has no THP at all). */
bool thpAdvisable() {
  int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
  if (fd < 0) return false;
  char buf[128] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  return std::strstr(buf, "[never]") == nullptr;
}
#endif
}  // namespace

void tuneHeap() {
#if defined(__linux__)
  if (!envOff("SHORTEN_MALLOC_HEAP")) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    // Grow the heap in whole huge pages' worth, so each growth is advised before it is written.
    mallopt(M_TOP_PAD, 16 << 20);
  }
  hugeActive = !envOff("SHORTEN_HUGE_PAGES") && thpAdvisable();
  if (hugeActive) {
    heapStart = (reinterpret_cast<uintptr_t>(sbrk(0)) + kHuge - 1) & ~(kHuge - 1);
  }
#endif
}

long adviseHeapHugePages() {
#if defined(__linux__)
  if (!hugeActive) return 0;
  uintptr_t stop = reinterpret_cast<uintptr_t>(sbrk(0)) & ~(kHuge - 1);
  if (stop <= heapStart) return 0;
  // The whole heap every time, not only its growth since the last call: a trim and a regrowth
  // between two calls leave a new mapping without the advice at addresses advised before. On
  // mappings that already have it the call changes nothing and costs microseconds.
  if (madvise(reinterpret_cast<void*>(heapStart), stop - heapStart, MADV_HUGEPAGE) != 0) {
    hugeActive = false;  // a kernel that refuses it once refuses it always
    return 0;
  }
  return static_cast<long>(stop - heapStart);
#else
  return 0;
#endif
}

bool heapHugePagesActive() { return hugeActive; }

void adviseRangeHugePages(void* data, size_t bytes) {
#if defined(__linux__)
  if (!hugeActive) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

bool trimHeap() {
#if defined(__linux__)
  return malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace shorten
