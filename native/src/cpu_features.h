// Which instruction-set path the kernels take: detected once from CPUID, lowered by
// SHORTEN_ISA or setIsa() so tests can exercise every path on one machine.
#pragma once

namespace shorten {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512bf16 = false;
  // AMX-TILE and AMX-BF16 with the OS's tile state enabled (XCR0) and this process allowed to use it.
  bool amxBf16 = false;
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
// Whether bf16 products use AMX tiles: on the AVX-512 path of a CPU with AMX-BF16, unless
// SHORTEN_AMX=0 or setAmx(false) (tests run both ways).
bool amxActive();
// Returns false (and changes nothing) when turning AMX on that the CPU cannot run.
bool setAmx(bool on);

}  // namespace shorten
