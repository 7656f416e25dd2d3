// The Node-API surface of the native core: argument checking, then a call into a kernel.
// Every bounds check happens here, so kernels can trust their arguments; errors are thrown
// as JavaScript exceptions, never a process exit.
#include <fcntl.h>
#include <napi.h>
#include <v8.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu_features.h"
#include "heap_pages.h"
#include "kernels.h"
#include "thread_pool.h"

namespace shorten {
namespace {

struct ArgError {
  std::string message;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  [[noreturn]] void fail(size_t i, const std::string& what) const {
    throw ArgError{std::string(fn_) + ": argument " + std::to_string(i) + " " + what};
  }
  bool boolean(size_t i) const {
    if (!info_[i].IsBoolean()) fail(i, "must be a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }
  double number(size_t i) const {
    if (!info_[i].IsNumber()) fail(i, "must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  int64_t count(size_t i) const {
    double v = number(i);
    if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      fail(i, "must be a non-negative integer");
    return static_cast<int64_t>(v);
  }
  template <typename T>
  T* typed(size_t i, napi_typedarray_type type, const char* typeName, int64_t* length) const {
    if (!info_[i].IsTypedArray()) fail(i, std::string("must be a ") + typeName);
    auto arr = info_[i].As<Napi::TypedArray>();
    if (arr.TypedArrayType() != type) fail(i, std::string("must be a ") + typeName);
    *length = static_cast<int64_t>(arr.ElementLength());
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    return reinterpret_cast<T*>(base + arr.ByteOffset());
  }
  // Checks that a rows×cols matrix with row stride ld fits in an array of `length` elements.
  void matrix(size_t i, int64_t rows, int64_t cols, int64_t ld, int64_t length) const {
    if (rows == 0 || cols == 0) return;
    if (ld < cols) fail(i, "has a row stride smaller than its row length");
    // (rows-1)*ld + cols <= length, without overflow for sane sizes (< 2^53).
    if (rows - 1 > (length - cols) / (ld > 0 ? ld : 1) || cols > length)
      fail(i, "is too short for a " + std::to_string(rows) + "x" + std::to_string(cols) + " matrix with row stride " +
                  std::to_string(ld) + " (" + std::to_string(length) + " elements)");
  }

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
};

WeightType weightType(const Args& args, size_t i) {
  int64_t t = args.count(i);
  if (t > 2) args.fail(i, "must be a weight type: 0 f32, 1 bf16, 2 f16");
  return static_cast<WeightType>(t);
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const ArgError& e) {
    Napi::RangeError::New(info.Env(), e.message).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

// gemmF32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
// gemmF32 and gemmRoundedBf16 take the same arguments: which product runs is `rounded`.
Napi::Value GemmF32Like(const Napi::CallbackInfo& info, const char* name, bool rounded) {
  return guarded(info, [&] {
    Args args(info, name);
    GemmF32Args p{};
    p.transA = args.boolean(0);
    p.transB = args.boolean(1);
    p.m = args.count(2);
    p.n = args.count(3);
    p.k = args.count(4);
    p.alpha = static_cast<float>(args.number(5));
    int64_t la, lb, lc;
    p.a = args.typed<float>(6, napi_float32_array, "Float32Array", &la);
    p.lda = args.count(7);
    p.b = args.typed<float>(8, napi_float32_array, "Float32Array", &lb);
    p.ldb = args.count(9);
    p.beta = static_cast<float>(args.number(10));
    p.c = args.typed<float>(11, napi_float32_array, "Float32Array", &lc);
    p.ldc = args.count(12);
    if (p.k > 0) {
      if (p.transA) args.matrix(6, p.k, p.m, p.lda, la);
      else args.matrix(6, p.m, p.k, p.lda, la);
      if (p.transB) args.matrix(8, p.n, p.k, p.ldb, lb);
      else args.matrix(8, p.k, p.n, p.ldb, lb);
    }
    args.matrix(11, p.m, p.n, p.ldc, lc);
    if (rounded) gemmRoundedBf16(p);
    else gemmF32(p);
    return info.Env().Undefined();
  });
}

// gemmF32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
Napi::Value GemmF32(const Napi::CallbackInfo& info) { return GemmF32Like(info, "gemmF32", false); }

// gemmRoundedBf16(...): the same arguments; A and B rounded to bf16, f32 accumulation.
Napi::Value GemmRoundedBf16(const Napi::CallbackInfo& info) { return GemmF32Like(info, "gemmRoundedBf16", true); }

// gemmHalf(transB, m, n, k, alpha, a, lda, b, ldb, bType, beta, c, ldc)
Napi::Value GemmHalf(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args args(info, "gemmHalf");
    GemmHalfArgs p{};
    p.transB = args.boolean(0);
    p.m = args.count(1);
    p.n = args.count(2);
    p.k = args.count(3);
    p.alpha = static_cast<float>(args.number(4));
    int64_t la, lb, lc;
    p.a = args.typed<float>(5, napi_float32_array, "Float32Array", &la);
    p.lda = args.count(6);
    p.b = args.typed<uint16_t>(7, napi_uint16_array, "Uint16Array", &lb);
    p.ldb = args.count(8);
    p.bType = weightType(args, 9);
    if (p.bType == WeightType::F32) args.fail(9, "must be 1 (bf16) or 2 (f16)");
    p.beta = static_cast<float>(args.number(10));
    p.c = args.typed<float>(11, napi_float32_array, "Float32Array", &lc);
    p.ldc = args.count(12);
    if (p.k > 0) {
      args.matrix(5, p.m, p.k, p.lda, la);
      if (p.transB) args.matrix(7, p.n, p.k, p.ldb, lb);
      else args.matrix(7, p.k, p.n, p.ldb, lb);
    }
    args.matrix(11, p.m, p.n, p.ldc, lc);
    gemmHalf(p);
    return info.Env().Undefined();
  });
}

// gemv(n, k, alpha, w, ldw, wType, x, beta, y)
Napi::Value Gemv(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args args(info, "gemv");
    GemvArgs p{};
    p.n = args.count(0);
    p.k = args.count(1);
    p.alpha = static_cast<float>(args.number(2));
    p.ldw = args.count(4);
    p.wType = weightType(args, 5);
    int64_t lw, lx, ly;
    if (p.wType == WeightType::F32) p.w = args.typed<float>(3, napi_float32_array, "Float32Array", &lw);
    else p.w = args.typed<uint16_t>(3, napi_uint16_array, "Uint16Array", &lw);
    p.x = args.typed<float>(6, napi_float32_array, "Float32Array", &lx);
    p.beta = static_cast<float>(args.number(7));
    p.y = args.typed<float>(8, napi_float32_array, "Float32Array", &ly);
    if (p.k > 0) {
      args.matrix(3, p.n, p.k, p.ldw, lw);
      if (lx < p.k) args.fail(6, "is shorter than k");
    }
    if (ly < p.n) args.fail(8, "is shorter than n");
    gemv(p);
    return info.Env().Undefined();
  });
}

// convert(kind, src, dst): kind 0 f32->bf16, 1 bf16->f32, 2 f32->f16, 3 f16->f32.
Napi::Value Convert(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args args(info, "convert");
    int64_t kind = args.count(0), ls, ld;
    switch (kind) {
      case 0:
      case 2: {
        auto* src = args.typed<float>(1, napi_float32_array, "Float32Array", &ls);
        auto* dst = args.typed<uint16_t>(2, napi_uint16_array, "Uint16Array", &ld);
        if (ld < ls) args.fail(2, "is shorter than the source");
        (kind == 0 ? convertF32ToBf16 : convertF32ToF16)(src, dst, ls);
        break;
      }
      case 1:
      case 3: {
        auto* src = args.typed<uint16_t>(1, napi_uint16_array, "Uint16Array", &ls);
        auto* dst = args.typed<float>(2, napi_float32_array, "Float32Array", &ld);
        if (ld < ls) args.fail(2, "is shorter than the source");
        (kind == 1 ? convertBf16ToF32 : convertF16ToF32)(src, dst, ls);
        break;
      }
      default: args.fail(0, "must be 0..3");
    }
    return info.Env().Undefined();
  });
}

// mmapFile(path): an ArrayBuffer over the whole file, mapped copy-on-write so the file is
// never modified; unmapped when the buffer is collected.
Napi::Value MmapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "mmapFile: path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Napi::Error::New(env, path + ": cannot open: " + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    Napi::Error::New(env, path + ": not a regular file").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    close(fd);
    return Napi::ArrayBuffer::New(env, 0);
  }
  void* addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int err = errno;
  close(fd);
  if (addr == MAP_FAILED) {
    Napi::Error::New(env, path + ": mmap failed: " + std::strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Node 20's N-API makes external buffers through node::Buffer, which refuses more than 4 GiB (and
  // then frees the finalizer's data twice); V8 itself takes any size, so the buffer is made there.
  std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      addr, size, [](void* data, size_t length, void*) { munmap(data, length); }, nullptr);
  v8::Local<v8::Value> buffer = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
  static_assert(sizeof(napi_value) == sizeof(v8::Local<v8::Value>), "napi_value is a v8::Local");
  napi_value result;
  std::memcpy(&result, &buffer, sizeof(result));
  return Napi::Value(env, result);
}

// releaseMappedPages(view): drops this process's mapping of the whole pages a typed array covers in
// an mmapFile buffer (madvise MADV_DONTNEED). The bytes stay readable: a later read maps them again
// from the file. For data that was copied out at load (GGUF q/k rows moved to another layout), so the
// resident memory does not hold both the copy and the original.
Napi::Value ReleaseMappedPages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "releaseMappedPages: expected a typed array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto view = info[0].As<Napi::TypedArray>();
  auto* base = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(base) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(base) + view.ByteLength()) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  return env.Undefined();
}

Napi::Value ThreadCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threadCount()); }

Napi::Value SetThreadCount(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args args(info, "setThreadCount");
    int64_t n = args.count(0);
    if (n < 1 || n > 1024) args.fail(0, "must be between 1 and 1024");
    setThreadCount(static_cast<int>(n));
    return info.Env().Undefined();
  });
}

Napi::Value GetIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), isaName(activeIsa())); }
Napi::Value GetBestIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), isaName(bestIsa())); }

// setIsa(name): returns false when this CPU cannot run that path.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Isa isa;
  if (!info[0].IsString() || !parseIsa(info[0].As<Napi::String>().Utf8Value().c_str(), &isa)) {
    Napi::RangeError::New(env, "setIsa: expected 'avx512', 'avx2' or 'portable'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, setIsa(isa));
}

Napi::Value CpuFeatureFlags(const Napi::CallbackInfo& info) {
  const CpuFeatures& f = cpuFeatures();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("f16c", f.f16c);
  o.Set("avx512f", f.avx512f);
  o.Set("avx512bw", f.avx512bw);
  o.Set("avx512vl", f.avx512vl);
  o.Set("avx512dq", f.avx512dq);
  o.Set("avx512bf16", f.avx512bf16);
  o.Set("amxBf16", f.amxBf16);
  return o;
}

Napi::Value AmxActive(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), amxActive()); }

Napi::Value SetAmx(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), setAmx(info[0].ToBoolean().Value()));
}

Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  double seconds = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.5;
  return Napi::Number::New(info.Env(), measurePeakGflops(seconds));
}

Napi::Value SustainedGflops(const Napi::CallbackInfo& info) {
  double seconds = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.5;
  return Napi::Number::New(info.Env(), measureSustainedGflops(seconds));
}

Napi::Value F32KernelGflops(const Napi::CallbackInfo& info) {
  double seconds = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.5;
  return Napi::Number::New(info.Env(), measureF32KernelGflops(seconds));
}

Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(adviseHeapHugePages()));
}

Napi::Value TrimHeap(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), trimHeap());
}

Napi::Value HugePagesActive(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), heapHugePagesActive());
}

Napi::Value ReadGbps(const Napi::CallbackInfo& info) {
  double bytes = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1 << 30;
  int repeats = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 5;
  return Napi::Number::New(info.Env(), measureReadGbps(static_cast<int64_t>(bytes), repeats));
}

}  // namespace

Napi::Object InitOps(Napi::Env env, Napi::Object exports);
Napi::Object InitQuant(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneHeap();
  exports.Set("gemmF32", Napi::Function::New(env, GemmF32));
  exports.Set("gemmRoundedBf16", Napi::Function::New(env, GemmRoundedBf16));
  exports.Set("gemmHalf", Napi::Function::New(env, GemmHalf));
  exports.Set("gemv", Napi::Function::New(env, Gemv));
  exports.Set("convert", Napi::Function::New(env, Convert));
  exports.Set("mmapFile", Napi::Function::New(env, MmapFile));
  exports.Set("adviseHugePages", Napi::Function::New(env, AdviseHugePages));
  exports.Set("trimHeap", Napi::Function::New(env, TrimHeap));
  exports.Set("hugePagesActive", Napi::Function::New(env, HugePagesActive));
  exports.Set("releaseMappedPages", Napi::Function::New(env, ReleaseMappedPages));
  exports.Set("threadCount", Napi::Function::New(env, ThreadCount));
  exports.Set("setThreadCount", Napi::Function::New(env, SetThreadCount));
  exports.Set("isa", Napi::Function::New(env, GetIsa));
  exports.Set("bestIsa", Napi::Function::New(env, GetBestIsa));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatureFlags));
  exports.Set("amxActive", Napi::Function::New(env, AmxActive));
  exports.Set("setAmx", Napi::Function::New(env, SetAmx));
  exports.Set("measurePeakGflops", Napi::Function::New(env, PeakGflops));
  exports.Set("measureSustainedGflops", Napi::Function::New(env, SustainedGflops));
  exports.Set("measureF32KernelGflops", Napi::Function::New(env, F32KernelGflops));
  exports.Set("measureReadGbps", Napi::Function::New(env, ReadGbps));
  return InitQuant(env, InitOps(env, exports));
}

NODE_API_MODULE(shorten_native, Init)

}  // namespace shorten
