// Avx512 GEMV for f32/bf16/f16 weights (placeholder: forwards to the portable path until the tuned kernel lands).
#include "kernels.h"

namespace shorten {

void gemvAvx512(const GemvArgs& p) { gemvPortable(p); }

}  // namespace shorten
