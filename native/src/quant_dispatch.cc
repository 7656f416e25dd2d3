// The quantized types' table and the dispatchers: the active ISA path's dequantizer, and the
// (portable) reference quantizers, each split over the thread pool in runs of whole blocks.
#include "cpu_features.h"
#include "quant.h"
#include "quant_blocks.h"
#include "thread_pool.h"

namespace shorten {

bool quantTypeFromGgml(int ggmlType, QuantType* type) {
  switch (ggmlType) {
    case 2: case 3: case 6: case 7: case 8: case 10: case 11: case 12: case 13: case 14: case 20: case 23:
      *type = static_cast<QuantType>(ggmlType);
      return true;
    default: return false;
  }
}

QuantBlock quantBlock(QuantType type) {
  using namespace qblock;
  switch (type) {
    case QuantType::Q4_0: return {kQK, kQ4_0Bytes};
    case QuantType::Q4_1: return {kQK, kQ4_1Bytes};
    case QuantType::Q5_0: return {kQK, kQ5_0Bytes};
    case QuantType::Q5_1: return {kQK, kQ5_1Bytes};
    case QuantType::Q8_0: return {kQK, kQ8_0Bytes};
    case QuantType::Q2_K: return {kQKK, kQ2KBytes};
    case QuantType::Q3_K: return {kQKK, kQ3KBytes};
    case QuantType::Q4_K: return {kQKK, kQ4KBytes};
    case QuantType::Q5_K: return {kQKK, kQ5KBytes};
    case QuantType::Q6_K: return {kQKK, kQ6KBytes};
    case QuantType::IQ4_NL: return {kQK, kIq4NlBytes};
    case QuantType::IQ4_XS: return {kQKK, kIq4XsBytes};
  }
  return {0, 0};
}

QuantKernel quantKernel(QuantType type) { return kernelFor<ReferenceQuantizers, QuantKernel>(type); }

namespace {

DequantKernel activeDequantKernel(QuantType type) {
  switch (activeIsa()) {
    case Isa::Avx512: return dequantKernelAvx512(type);
    case Isa::Avx2: return dequantKernelAvx2(type);
    default: return dequantKernelPortable(type);
  }
}

}  // namespace

void dequantize(QuantType type, const uint8_t* src, float* dst, int64_t nblocks) {
  const QuantBlock b = quantBlock(type);
  const DequantKernel kernel = activeDequantKernel(type);
  // Cost: the bytes each block writes; a few hundred KB or less runs on the caller.
  parallelFor(
      nblocks, 16,
      [&](int64_t begin, int64_t end) { kernel(src + begin * b.bytes, dst + begin * b.elements, end - begin); },
      b.elements * 4);
}

void quantize(QuantType type, const float* src, uint8_t* dst, int64_t nblocks) {
  const QuantBlock b = quantBlock(type);
  const QuantKernel kernel = quantKernel(type);
  // The searches cost tens of operations per element: worth a worker from a few blocks on.
  parallelFor(
      nblocks, 4,
      [&](int64_t begin, int64_t end) { kernel(src + begin * b.elements, dst + begin * b.bytes, end - begin); },
      b.elements * 64);
}

}  // namespace shorten
