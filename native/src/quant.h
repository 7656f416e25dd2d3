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

// The kernel for `type` from a family K whose static members are named after the types
// (q4_0 ... q6_k, iq4_nl, iq4_xs): one switch for every family.
template <class K, class Fn>
Fn kernelFor(QuantType type) {
  switch (type) {
    case QuantType::Q4_0: return K::q4_0;
    case QuantType::Q4_1: return K::q4_1;
    case QuantType::Q5_0: return K::q5_0;
    case QuantType::Q5_1: return K::q5_1;
    case QuantType::Q8_0: return K::q8_0;
    case QuantType::Q2_K: return K::q2_k;
    case QuantType::Q3_K: return K::q3_k;
    case QuantType::Q4_K: return K::q4_k;
    case QuantType::Q5_K: return K::q5_k;
    case QuantType::Q6_K: return K::q6_k;
    case QuantType::IQ4_NL: return K::iq4_nl;
    case QuantType::IQ4_XS: return K::iq4_xs;
  }
  return nullptr;
}

// llama.cpp's reference quantizers, one per type (quantize_legacy.cc, quantize_kquants.cc,
// quantize_iq4.cc): nb blocks from nb·elements floats.
struct ReferenceQuantizers {
  static void q4_0(const float* x, uint8_t* y, int64_t nb);
  static void q4_1(const float* x, uint8_t* y, int64_t nb);
  static void q5_0(const float* x, uint8_t* y, int64_t nb);
  static void q5_1(const float* x, uint8_t* y, int64_t nb);
  static void q8_0(const float* x, uint8_t* y, int64_t nb);
  static void q2_k(const float* x, uint8_t* y, int64_t nb);
  static void q3_k(const float* x, uint8_t* y, int64_t nb);
  static void q4_k(const float* x, uint8_t* y, int64_t nb);
  static void q5_k(const float* x, uint8_t* y, int64_t nb);
  static void q6_k(const float* x, uint8_t* y, int64_t nb);
  static void iq4_nl(const float* x, uint8_t* y, int64_t nb);
  static void iq4_xs(const float* x, uint8_t* y, int64_t nb);
};

// Dispatchers: the active ISA path, split over the thread pool when the input is large.
void dequantize(QuantType type, const uint8_t* src, float* dst, int64_t nblocks);
void quantize(QuantType type, const float* src, uint8_t* dst, int64_t nblocks);

}  // namespace shorten
