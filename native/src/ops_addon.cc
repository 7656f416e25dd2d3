// Node-API bindings of the fused model ops (ops.h): every array's type and length is checked
// here, so the kernels can trust their arguments; failures throw a RangeError naming the
// function and the argument.
#include <napi.h>

#include <cmath>

#include <string>
#include <vector>

#include "ops.h"

namespace shorten {
namespace {

struct OpArgError {
  std::string message;
};

class OpArgs {
 public:
  OpArgs(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  [[noreturn]] void fail(size_t i, const char* name, const std::string& what) const {
    throw OpArgError{std::string(fn_) + ": argument " + std::to_string(i) + " (" + name + ") " + what};
  }
  double number(size_t i, const char* name) const {
    if (!info_[i].IsNumber()) fail(i, name, "must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  int64_t count(size_t i, const char* name) const {
    double v = number(i, name);
    if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      fail(i, name, "must be a non-negative integer");
    return static_cast<int64_t>(v);
  }
  // A typed array of at least `need` elements; null/undefined allowed only when `optional`.
  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* typeName, double need,
           bool optional = false) const {
    if (optional && (info_[i].IsNull() || info_[i].IsUndefined())) return nullptr;
    if (!info_[i].IsTypedArray() || info_[i].As<Napi::TypedArray>().TypedArrayType() != type)
      fail(i, name, std::string("must be a ") + typeName + (optional ? " or null" : ""));
    auto arr = info_[i].As<Napi::TypedArray>();
    double length = static_cast<double>(arr.ElementLength());
    if (length < need)
      fail(i, name,
           "has " + std::to_string(static_cast<int64_t>(length)) + " elements, needs " +
               std::to_string(static_cast<int64_t>(need)));
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    return reinterpret_cast<T*>(base + arr.ByteOffset());
  }
  float* f32(size_t i, const char* name, double need) const {
    return array<float>(i, name, napi_float32_array, "Float32Array", need);
  }
  float* f32OrNull(size_t i, const char* name, double need) const {
    return array<float>(i, name, napi_float32_array, "Float32Array", need, true);
  }
  int32_t* i32(size_t i, const char* name, double need) const {
    return array<int32_t>(i, name, napi_int32_array, "Int32Array", need);
  }
  const double* f64(size_t i, const char* name, double need) const {
    return array<double>(i, name, napi_float64_array, "Float64Array", need);
  }
  uint8_t* u8OrNull(size_t i, const char* name, double need) const {
    return array<uint8_t>(i, name, napi_uint8_array, "Uint8Array", need, true);
  }

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
};

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    body();
  } catch (const OpArgError& e) {
    Napi::RangeError::New(info.Env(), e.message).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// rmsnormForward(out, rstd, inp, weight, N, C, eps)
Napi::Value RmsnormForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "rmsnormForward");
    int64_t N = a.count(4, "N"), C = a.count(5, "C");
    float eps = static_cast<float>(a.number(6, "eps"));
    double NC = static_cast<double>(N) * C;
    float* out = a.f32(0, "out", NC);
    float* rstd = a.f32(1, "rstd", N);
    const float* inp = a.f32(2, "inp", NC);
    const float* weight = a.f32(3, "weight", C);
    if (!(eps > 0)) a.fail(6, "eps", "must be positive");
    rmsnormForward(out, rstd, inp, weight, N, C, eps);
  });
}

// rmsnormBackward(dinp|null, dweight|null, dout, inp, weight, rstd, N, C)
Napi::Value RmsnormBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "rmsnormBackward");
    int64_t N = a.count(6, "N"), C = a.count(7, "C");
    double NC = static_cast<double>(N) * C;
    float* dinp = a.f32OrNull(0, "dinp", NC);
    float* dweight = a.f32OrNull(1, "dweight", C);
    const float* dout = a.f32(2, "dout", NC);
    const float* inp = a.f32(3, "inp", NC);
    const float* weight = a.f32(4, "weight", C);
    const float* rstd = a.f32(5, "rstd", N);
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
  });
}

void checkRopeDims(const OpArgs& a, int64_t D, double scale) {
  if (D % 2 != 0) a.fail(5, "D", "must be even");
  if (!std::isfinite(scale)) a.fail(7, "scale", "must be finite");
}

// ropeForward(out, inp, positions, N, H, D, invFreq, scale)
Napi::Value RopeForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "ropeForward");
    int64_t N = a.count(3, "N"), H = a.count(4, "H"), D = a.count(5, "D");
    double scale = a.number(7, "scale");
    checkRopeDims(a, D, scale);
    double size = static_cast<double>(N) * H * D;
    float* out = a.f32(0, "out", size);
    const float* inp = a.f32(1, "inp", size);
    const int32_t* positions = a.i32(2, "positions", N);
    const double* invFreq = a.f64(6, "invFreq", static_cast<double>(D / 2));
    ropeForward(out, inp, positions, N, H, D, invFreq, scale);
  });
}

// ropeBackward(dinp, dout, positions, N, H, D, invFreq, scale)
Napi::Value RopeBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "ropeBackward");
    int64_t N = a.count(3, "N"), H = a.count(4, "H"), D = a.count(5, "D");
    double scale = a.number(7, "scale");
    checkRopeDims(a, D, scale);
    const double* invFreq = a.f64(6, "invFreq", static_cast<double>(D / 2));
    double size = static_cast<double>(N) * H * D;
    float* dinp = a.f32(0, "dinp", size);
    const float* dout = a.f32(1, "dout", size);
    const int32_t* positions = a.i32(2, "positions", N);
    ropeBackward(dinp, dout, positions, N, H, D, invFreq, scale);
  });
}

struct AttentionDims {
  int64_t B, T, Hq, Hkv, D;
  double qSize, kvSize, lseSize;
};

AttentionDims attentionDims(const OpArgs& a, size_t first) {
  AttentionDims d{};
  d.B = a.count(first, "B");
  d.T = a.count(first + 1, "T");
  d.Hq = a.count(first + 2, "Hq");
  d.Hkv = a.count(first + 3, "Hkv");
  d.D = a.count(first + 4, "D");
  if (d.Hkv == 0 || d.Hq % d.Hkv != 0) a.fail(first + 3, "Hkv", "must be a positive divisor of Hq");
  d.qSize = static_cast<double>(d.B) * d.T * d.Hq * d.D;
  d.kvSize = static_cast<double>(d.B) * d.T * d.Hkv * d.D;
  d.lseSize = static_cast<double>(d.B) * d.Hq * d.T;
  return d;
}

// attentionForward(out, lse, q, k, v, keyPadding|null, B, T, Hq, Hkv, D)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "attentionForward");
    AttentionDims d = attentionDims(a, 6);
    float* out = a.f32(0, "out", d.qSize);
    float* lse = a.f32(1, "lse", d.lseSize);
    const float* q = a.f32(2, "q", d.qSize);
    const float* k = a.f32(3, "k", d.kvSize);
    const float* v = a.f32(4, "v", d.kvSize);
    const uint8_t* pad = a.u8OrNull(5, "keyPadding", static_cast<double>(d.B) * d.T);
    attentionForward(out, lse, q, k, v, pad, d.B, d.T, d.Hq, d.Hkv, d.D);
  });
}

// attentionBackward(dq|null, dk|null, dv|null, dout, q, k, v, out, lse, keyPadding|null, B, T, Hq, Hkv, D)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "attentionBackward");
    AttentionDims d = attentionDims(a, 10);
    float* dq = a.f32OrNull(0, "dq", d.qSize);
    float* dk = a.f32OrNull(1, "dk", d.kvSize);
    float* dv = a.f32OrNull(2, "dv", d.kvSize);
    const float* dout = a.f32(3, "dout", d.qSize);
    const float* q = a.f32(4, "q", d.qSize);
    const float* k = a.f32(5, "k", d.kvSize);
    const float* v = a.f32(6, "v", d.kvSize);
    const float* out = a.f32(7, "out", d.qSize);
    const float* lse = a.f32(8, "lse", d.lseSize);
    const uint8_t* pad = a.u8OrNull(9, "keyPadding", static_cast<double>(d.B) * d.T);
    attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, pad, d.B, d.T, d.Hq, d.Hkv, d.D);
  });
}

// siluGateForward(out, gate, up, N)
Napi::Value SiluGateForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "siluGateForward");
    int64_t N = a.count(3, "N");
    float* out = a.f32(0, "out", N);
    const float* gate = a.f32(1, "gate", N);
    const float* up = a.f32(2, "up", N);
    siluGateForward(out, gate, up, N);
  });
}

// adamwUpdate(w, g, m, v, N, decay, beta1, beta2, stepSize, sqrtBc2, eps)
Napi::Value AdamwUpdate(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "adamwUpdate");
    int64_t N = a.count(4, "N");
    float* w = a.f32(0, "w", N);
    const float* g = a.f32(1, "g", N);
    float* m = a.f32(2, "m", N);
    float* v = a.f32(3, "v", N);
    adamwUpdate(w, g, m, v, N, a.number(5, "decay"), a.number(6, "beta1"), a.number(7, "beta2"),
                a.number(8, "stepSize"), a.number(9, "sqrtBc2"), a.number(10, "eps"));
  });
}

// sumSquares(g, N) -> number
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  double result = 0;
  Napi::Value done = guarded(info, [&] {
    OpArgs a(info, "sumSquares");
    int64_t N = a.count(1, "N");
    result = sumSquares(a.f32(0, "g", N), N);
  });
  if (info.Env().IsExceptionPending()) return done;
  return Napi::Number::New(info.Env(), result);
}

// scaleInPlace(g, N, factor)
Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "scaleInPlace");
    int64_t N = a.count(1, "N");
    scaleInPlace(a.f32(0, "g", N), N, a.number(2, "factor"));
  });
}

// addForward(out, a, b, N)
Napi::Value AddForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "addForward");
    int64_t N = a.count(3, "N");
    float* out = a.f32(0, "out", N);
    addForward(out, a.f32(1, "a", N), a.f32(2, "b", N), N);
  });
}

// addBackward(da|null, db|null, dout, N)
Napi::Value AddBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "addBackward");
    int64_t N = a.count(3, "N");
    float* da = a.f32OrNull(0, "da", N);
    float* db = a.f32OrNull(1, "db", N);
    addBackward(da, db, a.f32(2, "dout", N), N);
  });
}

// salience(w, type, g, n) -> Σ |W ⊙ G|: w a Float32Array (type 0) or Uint16Array (1 bf16, 2 f16)
Napi::Value Salience(const Napi::CallbackInfo& info) {
  double result = 0;
  Napi::Value none = guarded(info, [&] {
    OpArgs a(info, "salience");
    int64_t n = a.count(3, "n");
    int64_t type = a.count(1, "type");
    if (type > 2) a.fail(1, "type", "must be 0 (f32), 1 (bf16) or 2 (f16)");
    const void* w = type == 0 ? static_cast<const void*>(a.f32(0, "w", n))
                              : static_cast<const void*>(a.array<uint16_t>(0, "w", napi_uint16_array, "Uint16Array", n));
    result = salienceSum(w, static_cast<int>(type), a.f32(2, "g", n), n);
  });
  if (info.Env().IsExceptionPending()) return none;
  return Napi::Number::New(info.Env(), result);
}

// dropoutApply(out, x, N, p, seed, accumulate)
Napi::Value DropoutApply(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "dropoutApply");
    int64_t N = a.count(2, "N");
    float* out = a.f32(0, "out", N);
    const float* x = a.f32(1, "x", N);
    double p = a.number(3, "p");
    if (!(p >= 0 && p < 1)) a.fail(3, "p", "must be in [0, 1)");
    int64_t seed = a.count(4, "seed");
    if (seed > 0xffffffffll) a.fail(4, "seed", "must be a 32-bit unsigned integer");
    if (!info[5].IsBoolean()) a.fail(5, "accumulate", "must be a boolean");
    dropoutApply(out, x, N, p, static_cast<uint32_t>(seed), info[5].As<Napi::Boolean>().Value());
  });
}

// fillNormal(out, type, N, seed, stream, mean, stddev): type 0 f32 (Float32Array), 1 bf16 / 2 f16
// (Uint16Array).
Napi::Value FillNormal(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "fillNormal");
    int64_t type = a.count(1, "type");
    if (type > 2) a.fail(1, "type", "must be 0 (f32), 1 (bf16) or 2 (f16)");
    int64_t N = a.count(2, "N");
    void* out = type == 0 ? static_cast<void*>(a.f32(0, "out", N))
                          : static_cast<void*>(a.array<uint16_t>(0, "out", napi_uint16_array, "Uint16Array", N));
    int64_t seed = a.count(3, "seed");
    if (seed > 0xffffffffll) a.fail(3, "seed", "must be a 32-bit unsigned integer");
    int64_t stream = a.count(4, "stream");
    if (stream > 0xffffffffll) a.fail(4, "stream", "must be a 32-bit unsigned integer");
    double mean = a.number(5, "mean"), stddev = a.number(6, "stddev");
    if (!std::isfinite(mean)) a.fail(5, "mean", "must be finite");
    if (!(stddev >= 0 && std::isfinite(stddev))) a.fail(6, "stddev", "must be finite and non-negative");
    fillNormal(out, static_cast<WeightType>(type), N, static_cast<uint32_t>(seed), static_cast<uint32_t>(stream),
               static_cast<float>(mean), static_cast<float>(stddev));
  });
}

// siluGateBackward(dgate|null, dup|null, dout, gate, up, N)
Napi::Value SiluGateBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "siluGateBackward");
    int64_t N = a.count(5, "N");
    float* dgate = a.f32OrNull(0, "dgate", N);
    float* dup = a.f32OrNull(1, "dup", N);
    const float* dout = a.f32(2, "dout", N);
    const float* gate = a.f32(3, "gate", N);
    const float* up = a.f32(4, "up", N);
    siluGateBackward(dgate, dup, dout, gate, up, N);
  });
}

void checkTargets(const OpArgs& a, size_t i, const int32_t* targets, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; n++)
    if (targets[n] < -1 || targets[n] >= V)
      a.fail(i, "targets",
             "holds " + std::to_string(targets[n]) + " at " + std::to_string(n) + ": expected -1 (ignored) or a class in [0, " +
                 std::to_string(V) + ")");
}

// crossEntropyForward(losses, lse, logits, targets, N, V)
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "crossEntropyForward");
    int64_t N = a.count(4, "N"), V = a.count(5, "V");
    if (V == 0) a.fail(5, "V", "must be positive");
    float* losses = a.f32(0, "losses", N);
    float* lse = a.f32(1, "lse", N);
    const float* logits = a.f32(2, "logits", static_cast<double>(N) * V);
    const int32_t* targets = a.i32(3, "targets", N);
    checkTargets(a, 3, targets, N, V);
    crossEntropyForward(losses, lse, logits, targets, N, V);
  });
}

// crossEntropyBackward(dlogits, dlosses, logits, lse, targets, N, V)
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "crossEntropyBackward");
    int64_t N = a.count(5, "N"), V = a.count(6, "V");
    double NV = static_cast<double>(N) * V;
    float* dlogits = a.f32(0, "dlogits", NV);
    const float* dlosses = a.f32(1, "dlosses", N);
    const float* logits = a.f32(2, "logits", NV);
    const float* lse = a.f32(3, "lse", N);
    const int32_t* targets = a.i32(4, "targets", N);
    checkTargets(a, 4, targets, N, V);
    crossEntropyBackward(dlogits, dlosses, logits, lse, targets, N, V);
  });
}

float temperatureInverse(const OpArgs& a, size_t i) {
  double invT = a.number(i, "invT");
  if (!(invT > 0 && std::isfinite(invT))) a.fail(i, "invT", "must be a positive finite number (1 / temperature)");
  return static_cast<float>(invT);
}

// Top-K indices: each in [0, V), no token twice in a row.
void checkTopK(const OpArgs& a, size_t i, const int32_t* idx, int64_t N, int64_t V, int64_t K) {
  std::vector<uint8_t> seen(static_cast<size_t>(V));
  for (int64_t n = 0; n < N; n++) {
    for (int64_t k = 0; k < K; k++) {
      int32_t v = idx[n * K + k];
      if (v < 0 || v >= V)
        a.fail(i, "idx", "holds " + std::to_string(v) + " in row " + std::to_string(n) + ": expected a token in [0, " +
                             std::to_string(V) + ")");
      if (seen[v]) a.fail(i, "idx", "names token " + std::to_string(v) + " twice in row " + std::to_string(n));
      seen[v] = 1;
    }
    for (int64_t k = 0; k < K; k++) seen[idx[n * K + k]] = 0;
  }
}

// klDivForward(losses, lseS, lseT, student, teacher, targets, N, V, invT)
Napi::Value KlDivForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "klDivForward");
    int64_t N = a.count(6, "N"), V = a.count(7, "V");
    if (V == 0) a.fail(7, "V", "must be positive");
    float invT = temperatureInverse(a, 8);
    double NV = static_cast<double>(N) * V;
    float* losses = a.f32(0, "losses", N);
    float* lseS = a.f32(1, "lseS", N);
    float* lseT = a.f32(2, "lseT", N);
    const float* student = a.f32(3, "student", NV);
    const float* teacher = a.f32(4, "teacher", NV);
    const int32_t* targets = a.i32(5, "targets", N);
    checkTargets(a, 5, targets, N, V);
    klDivForward(losses, lseS, lseT, student, teacher, targets, N, V, invT);
  });
}

// klDivBackward(dstudent, dlosses, student, lseS, teacher, lseT, targets, N, V, invT)
Napi::Value KlDivBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "klDivBackward");
    int64_t N = a.count(7, "N"), V = a.count(8, "V");
    float invT = temperatureInverse(a, 9);
    double NV = static_cast<double>(N) * V;
    float* dstudent = a.f32(0, "dstudent", NV);
    const float* dlosses = a.f32(1, "dlosses", N);
    const float* student = a.f32(2, "student", NV);
    const float* lseS = a.f32(3, "lseS", N);
    const float* teacher = a.f32(4, "teacher", NV);
    const float* lseT = a.f32(5, "lseT", N);
    const int32_t* targets = a.i32(6, "targets", N);
    checkTargets(a, 6, targets, N, V);
    klDivBackward(dstudent, dlosses, student, lseS, teacher, lseT, targets, N, V, invT);
  });
}

// topKLogProbs(idx, logp, logRest, logits, N, V, K, invT)
Napi::Value TopKLogProbs(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "topKLogProbs");
    int64_t N = a.count(4, "N"), V = a.count(5, "V"), K = a.count(6, "K");
    if (K == 0 || K > V) a.fail(6, "K", "must lie in [1, V]");
    float invT = temperatureInverse(a, 7);
    double NK = static_cast<double>(N) * K;
    int32_t* idx = a.i32(0, "idx", NK);
    float* logp = a.f32(1, "logp", NK);
    float* logRest = a.f32(2, "logRest", N);
    const float* logits = a.f32(3, "logits", static_cast<double>(N) * V);
    topKLogProbs(idx, logp, logRest, logits, N, V, K, invT);
  });
}

// klTopKForward(losses, lseS, lseRestS, student, idx, logp, logRest, targets, N, V, K, invT)
Napi::Value KlTopKForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "klTopKForward");
    int64_t N = a.count(8, "N"), V = a.count(9, "V"), K = a.count(10, "K");
    if (K == 0 || K > V) a.fail(10, "K", "must lie in [1, V]");
    float invT = temperatureInverse(a, 11);
    double NK = static_cast<double>(N) * K;
    float* losses = a.f32(0, "losses", N);
    float* lseS = a.f32(1, "lseS", N);
    float* lseRestS = a.f32(2, "lseRestS", N);
    const float* student = a.f32(3, "student", static_cast<double>(N) * V);
    const int32_t* idx = a.i32(4, "idx", NK);
    const float* logp = a.f32(5, "logp", NK);
    const float* logRest = a.f32(6, "logRest", N);
    const int32_t* targets = a.i32(7, "targets", N);
    checkTargets(a, 7, targets, N, V);
    checkTopK(a, 4, idx, N, V, K);
    klTopKForward(losses, lseS, lseRestS, student, idx, logp, logRest, targets, N, V, K, invT);
  });
}

// klTopKBackward(dstudent, dlosses, student, lseS, lseRestS, idx, logp, logRest, targets, N, V, K, invT)
Napi::Value KlTopKBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "klTopKBackward");
    int64_t N = a.count(9, "N"), V = a.count(10, "V"), K = a.count(11, "K");
    if (K == 0 || K > V) a.fail(11, "K", "must lie in [1, V]");
    float invT = temperatureInverse(a, 12);
    double NV = static_cast<double>(N) * V, NK = static_cast<double>(N) * K;
    float* dstudent = a.f32(0, "dstudent", NV);
    const float* dlosses = a.f32(1, "dlosses", N);
    const float* student = a.f32(2, "student", NV);
    const float* lseS = a.f32(3, "lseS", N);
    const float* lseRestS = a.f32(4, "lseRestS", N);
    const int32_t* idx = a.i32(5, "idx", NK);
    const float* logp = a.f32(6, "logp", NK);
    const float* logRest = a.f32(7, "logRest", N);
    const int32_t* targets = a.i32(8, "targets", N);
    checkTargets(a, 8, targets, N, V);
    checkTopK(a, 5, idx, N, V, K);
    klTopKBackward(dstudent, dlosses, student, lseS, lseRestS, idx, logp, logRest, targets, N, V, K, invT);
  });
}

// cachedAttentionForward(out, q, keys, values, padding, B, S, Hq, Hkv, D, capacity, start)
Napi::Value CachedAttentionForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    OpArgs a(info, "cachedAttentionForward");
    int64_t B = a.count(5, "B"), S = a.count(6, "S"), Hq = a.count(7, "Hq"), Hkv = a.count(8, "Hkv"),
            D = a.count(9, "D"), cap = a.count(10, "capacity"), start = a.count(11, "start");
    if (Hkv == 0 || Hq % Hkv != 0) a.fail(8, "Hkv", "must divide Hq");
    if (start + S > cap) a.fail(11, "start", "plus S exceeds the capacity");
    double qn = static_cast<double>(B) * S * Hq * D, kn = static_cast<double>(B) * Hkv * cap * D;
    float* out = a.f32(0, "out", qn);
    const float* q = a.f32(1, "q", qn);
    const float* keys = a.f32(2, "keys", kn);
    const float* values = a.f32(3, "values", kn);
    const int32_t* padding = a.array<int32_t>(4, "padding", napi_int32_array, "Int32Array", static_cast<double>(B), true);
    if (padding)
      for (int64_t b = 0; b < B; ++b)
        if (padding[b] < 0 || padding[b] > start + S) a.fail(4, "padding", "entries must lie in [0, start + S]");
    cachedAttentionForward(out, q, keys, values, padding, B, S, Hq, Hkv, D, cap, start);
  });
}

}  // namespace

Napi::Object InitOps(Napi::Env env, Napi::Object exports) {
  exports.Set("cachedAttentionForward", Napi::Function::New(env, CachedAttentionForward));
  exports.Set("rmsnormForward", Napi::Function::New(env, RmsnormForward));
  exports.Set("rmsnormBackward", Napi::Function::New(env, RmsnormBackward));
  exports.Set("ropeForward", Napi::Function::New(env, RopeForward));
  exports.Set("ropeBackward", Napi::Function::New(env, RopeBackward));
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("siluGateForward", Napi::Function::New(env, SiluGateForward));
  exports.Set("dropoutApply", Napi::Function::New(env, DropoutApply));
  exports.Set("fillNormal", Napi::Function::New(env, FillNormal));
  exports.Set("addForward", Napi::Function::New(env, AddForward));
  exports.Set("adamwUpdate", Napi::Function::New(env, AdamwUpdate));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("scaleInPlace", Napi::Function::New(env, ScaleInPlace));
  exports.Set("addBackward", Napi::Function::New(env, AddBackward));
  exports.Set("salience", Napi::Function::New(env, Salience));
  exports.Set("siluGateBackward", Napi::Function::New(env, SiluGateBackward));
  exports.Set("crossEntropyForward", Napi::Function::New(env, CrossEntropyForward));
  exports.Set("crossEntropyBackward", Napi::Function::New(env, CrossEntropyBackward));
  exports.Set("klDivForward", Napi::Function::New(env, KlDivForward));
  exports.Set("klDivBackward", Napi::Function::New(env, KlDivBackward));
  exports.Set("topKLogProbs", Napi::Function::New(env, TopKLogProbs));
  exports.Set("klTopKForward", Napi::Function::New(env, KlTopKForward));
  exports.Set("klTopKBackward", Napi::Function::New(env, KlTopKBackward));
  return exports;
}

}  // namespace shorten
