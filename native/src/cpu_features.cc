// CPUID and XGETBV probing, and the process-wide choice of kernel path.
#include "cpu_features.h"

#include <atomic>
#include <cpuid.h>
#include <cstdlib>
#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

namespace shorten {
namespace {

CpuFeatures probe() {
  CpuFeatures f;
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  bool osxsave = (c >> 27) & 1;
  bool fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  bool ymmOs = (xcr0 & 0x6) == 0x6;
  bool zmmOs = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = avx && ymmOs && ((b >> 5) & 1);
  f.fma = fma && ymmOs;
  f.f16c = f16c && ymmOs;
  f.avx512f = zmmOs && ((b >> 16) & 1);
  f.avx512dq = zmmOs && ((b >> 17) & 1);
  f.avx512bw = zmmOs && ((b >> 30) & 1);
  f.avx512vl = zmmOs && ((b >> 31) & 1);
  const bool amxTile = (d >> 24) & 1, amxBf16 = (d >> 22) & 1;
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = f.avx512f && ((a >> 5) & 1);
  // Tile data is a dynamically enabled state: the OS must enable it (XCR0 bits 17, 18) and grant
  // this process permission (arch_prctl ARCH_REQ_XCOMP_PERM for XTILEDATA) before the first use.
  const bool tileOs = (xcr0 & 0x60000) == 0x60000;
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  f.amxBf16 = f.avx512bf16 && amxTile && amxBf16 && tileOs &&
              syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
#endif
  return f;
}

Isa computeBest() {
  const CpuFeatures& f = cpuFeatures();
  // The AVX-512 path also uses AVX512-BF16 instructions for bf16 weights.
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512bf16 && f.fma && f.f16c) return Isa::Avx512;
  if (f.avx2 && f.fma && f.f16c) return Isa::Avx2;
  return Isa::Portable;
}

std::atomic<int> active{-1};
std::atomic<int> amx{-1};

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = probe();
  return features;
}

Isa bestIsa() {
  static const Isa best = computeBest();
  return best;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

bool parseIsa(const char* name, Isa* out) {
  if (std::strcmp(name, "avx512") == 0) *out = Isa::Avx512;
  else if (std::strcmp(name, "avx2") == 0) *out = Isa::Avx2;
  else if (std::strcmp(name, "portable") == 0) *out = Isa::Portable;
  else return false;
  return true;
}

Isa activeIsa() {
  int v = active.load(std::memory_order_relaxed);
  if (v >= 0) return static_cast<Isa>(v);
  Isa isa = bestIsa();
  const char* env = std::getenv("SHORTEN_ISA");
  Isa forced;
  if (env != nullptr && parseIsa(env, &forced) && static_cast<int>(forced) < static_cast<int>(isa)) isa = forced;
  active.store(static_cast<int>(isa), std::memory_order_relaxed);
  return isa;
}

bool amxActive() {
  int v = amx.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* env = std::getenv("SHORTEN_AMX");
    v = cpuFeatures().amxBf16 && !(env != nullptr && std::strcmp(env, "0") == 0) ? 1 : 0;
    amx.store(v, std::memory_order_relaxed);
  }
  return v == 1 && activeIsa() == Isa::Avx512;
}

bool setAmx(bool on) {
  if (on && !cpuFeatures().amxBf16) return false;
  amx.store(on ? 1 : 0, std::memory_order_relaxed);
  return true;
}

bool setIsa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(bestIsa())) return false;
  active.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

}  // namespace shorten
