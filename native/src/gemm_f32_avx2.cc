// AVX2+FMA f32 GEMM (placeholder: forwards to the portable path until the tuned kernel lands).
#include "kernels.h"

namespace shorten {

void gemmF32Avx2(const GemmF32Args& p) { gemmF32Portable(p); }

}  // namespace shorten
