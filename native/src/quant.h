// GGML's block-quantized weight types: which ones we know, their block geometry, and the kernels
// that expand them to f32 (one per ISA path, same signature, same bits) and build them from f32.
#pragma once
#include <cstdint>

namespace shorten {

// Values are GGML_TYPE_* from ggml.h, so a GGUF tensor's type field maps straight onto them.
enum class QuantType : int {
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  IQ4_NL = 20,
  IQ4_XS = 23,
};

struct QuantBlock {
  int64_t elements;  // weights per block
  int64_t bytes;     // bytes per block
};

// False (and *type untouched) when ggmlType is not one of the types above.
bool quantTypeFromGgml(int ggmlType, QuantType* type);
QuantBlock quantBlock(QuantType type);

// Expands nblocks consecutive blocks at src into nblocks·elements floats at dst. Every path gives
// the f32 bits of ggml's dequantize_row_* (its products and differences, in its order, unfused).
using DequantKernel = void (*)(const uint8_t* src, float* dst, int64_t nblocks);
DequantKernel dequantKernelPortable(QuantType type);
DequantKernel dequantKernelAvx2(QuantType type);
DequantKernel dequantKernelAvx512(QuantType type);

// Builds nblocks blocks from nblocks·elements floats as llama.cpp's llama-quantize does with no
// importance matrix (quantize_row_*_ref; quantize_iq4_nl / quantize_iq4_xs for the IQ4 types).
using QuantKernel = void (*)(const float* src, uint8_t* dst, int64_t nblocks);
QuantKernel quantKernel(QuantType type);

// Dispatchers: the active ISA path, split over the thread pool when the input is large.
void dequantize(QuantType type, const uint8_t* src, float* dst, int64_t nblocks);
void quantize(QuantType type, const float* src, uint8_t* dst, int64_t nblocks);

}  // namespace shorten
