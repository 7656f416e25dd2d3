// Which instruction-set path the kernels take: detected once from CPUID, lowered by
// SHORTEN_ISA or setIsa() so tests can exercise every path on one machine.
#pragma once

namespace shorten {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512bf16 = false;
};

const CpuFeatures& cpuFeatures();
// The best path this CPU can run.
Isa bestIsa();
// The path in use now.
Isa activeIsa();
// Returns false (and changes nothing) when the CPU cannot run the requested path.
bool setIsa(Isa isa);
const char* isaName(Isa isa);
bool parseIsa(const char* name, Isa* out);

}  // namespace shorten
