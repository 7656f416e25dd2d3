// Avx2 GEMM with bf16/f16 weights (placeholder: forwards to the portable path until the tuned kernel lands).
#include "kernels.h"

namespace shorten {

void gemmHalfAvx2(const GemmHalfArgs& p) { gemmHalfPortable(p); }

}  // namespace shorten
