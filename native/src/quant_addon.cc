// Node-API bindings of the GGML quantized types (quant.h). Sizes are checked here against the
// block geometry, so the kernels can trust them; failures throw a RangeError naming the argument.
#include <napi.h>

#include <cmath>
#include <string>

#include "quant.h"

namespace shorten {
namespace {

struct QuantArgError {
  std::string message;
};

[[noreturn]] void fail(const char* fn, const std::string& what) { throw QuantArgError{std::string(fn) + ": " + what}; }

QuantType typeArg(const Napi::CallbackInfo& info, const char* fn) {
  QuantType type;
  if (!info[0].IsNumber() || !quantTypeFromGgml(info[0].As<Napi::Number>().Int32Value(), &type) ||
      info[0].As<Napi::Number>().DoubleValue() != info[0].As<Napi::Number>().Int32Value())
    fail(fn, "argument 0 (type) must be the GGML id of a quantized type (2, 3, 6, 7, 8, 10-14, 20 or 23)");
  return type;
}

template <typename T>
T* typedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what, const char* fn,
            int64_t* length) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type)
    fail(fn, "argument " + std::to_string(i) + " must be a " + what);
  auto arr = info[i].As<Napi::TypedArray>();
  *length = static_cast<int64_t>(arr.ElementLength());
  return reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    body();
  } catch (const QuantArgError& e) {
    Napi::RangeError::New(info.Env(), e.message).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// Blocks in `elements` weights, or a failure naming the sizes.
int64_t blocksOf(const QuantBlock& b, int64_t elements, int64_t bytes, const char* fn) {
  if (elements % b.elements != 0)
    fail(fn, std::to_string(elements) + " elements are not a whole number of " + std::to_string(b.elements) +
                 "-element blocks");
  int64_t blocks = elements / b.elements;
  if (bytes != blocks * b.bytes)
    fail(fn, std::to_string(bytes) + " quantized bytes do not match " + std::to_string(elements) + " elements (" +
                 std::to_string(blocks * b.bytes) + " bytes)");
  return blocks;
}

// dequantize(type, src: Uint8Array, dst: Float32Array): dst.length elements from src.
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const char* fn = "dequantize";
    QuantType type = typeArg(info, fn);
    int64_t srcBytes, dstLength;
    auto* src = typedArg<uint8_t>(info, 1, napi_uint8_array, "Uint8Array", fn, &srcBytes);
    auto* dst = typedArg<float>(info, 2, napi_float32_array, "Float32Array", fn, &dstLength);
    dequantize(type, src, dst, blocksOf(quantBlock(type), dstLength, srcBytes, fn));
  });
}

// quantize(type, src: Float32Array, dst: Uint8Array): every element of src must be finite.
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const char* fn = "quantize";
    QuantType type = typeArg(info, fn);
    int64_t srcLength, dstBytes;
    auto* src = typedArg<float>(info, 1, napi_float32_array, "Float32Array", fn, &srcLength);
    auto* dst = typedArg<uint8_t>(info, 2, napi_uint8_array, "Uint8Array", fn, &dstBytes);
    int64_t blocks = blocksOf(quantBlock(type), srcLength, dstBytes, fn);
    for (int64_t i = 0; i < srcLength; ++i)
      if (!std::isfinite(src[i])) fail(fn, "src[" + std::to_string(i) + "] is " + std::to_string(src[i]) + ", not finite");
    quantize(type, src, dst, blocks);
  });
}

// quantBlock(type): [elements, bytes] of one block, for checking the TypeScript table.
Napi::Value QuantBlockOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  QuantType type;
  try {
    type = typeArg(info, "quantBlock");
  } catch (const QuantArgError& e) {
    Napi::RangeError::New(env, e.message).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  QuantBlock b = quantBlock(type);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(b.elements)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(b.bytes)));
  return out;
}

}  // namespace

Napi::Object InitQuant(Napi::Env env, Napi::Object exports) {
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("quantBlock", Napi::Function::New(env, QuantBlockOf));
  return exports;
}

}  // namespace shorten
