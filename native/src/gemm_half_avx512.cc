// AVX-512 GEMM with bf16/f16 weights. bf16 runs on VDPBF16PS (A rounded to bf16, f32
// accumulation, as PyTorch's bf16 matmul does); f16 goes to the f32 blocked driver
// (gemm_f32_avx512.cc), which widens B to f32 exactly while packing it.
// GCC 12's AVX-512 headers seed widening intrinsics with _mm512_undefined_*, which trips a
// false (maybe-)uninitialized warning at every inlined use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "kernels.h"
#include "scratch_buffer.h"
#include "thread_pool.h"
#include "transpose16_avx512.h"

namespace shorten {
namespace {

// Packing buffers: A rounded to bf16 pairs, B in VDPBF16PS order.
thread_local ScratchBuffer tlsA, tlsB;

// Columns of a B panel the kernel reads: nc rounded up to whole vectors (bfKernel runs only those),
// so a narrow last panel packs no more than it uses.
inline int usedCols(int64_t nc, int nr) { return static_cast<int>(std::min<int64_t>(nr, (nc + 15) / 16 * 16)); }

inline __mmask16 mask16(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1); }
inline __mmask32 mask32(int64_t n) { return n >= 32 ? __mmask32(0xffffffffu) : __mmask32((1u << std::max<int64_t>(n, 0)) - 1); }


// Writes one MR×NR tile: C = alpha·acc + beta·C, columns past nc masked off, and beta == 0
// never reads C.
template <int NV>
inline void storeRow(const __m512* acc, float* c, const __mmask16* mk, float alpha, float beta) {
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    __m512 r = _mm512_mul_ps(acc[v], va);
    if (beta == 1.0f) {
      r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mk[v], c + 16 * v));
    } else if (beta != 0.0f) {
      r = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mk[v], c + 16 * v), r);
    }
    _mm512_mask_storeu_ps(c + 16 * v, mk[v], r);
  }
}

// Spreads prefetches of the next B micro-panel's source over the micro-kernel calls on the
// current one: B is read from memory exactly once, and with dozens of strided rows per panel
// the hardware prefetchers alone leave the packing stalled on misses. Each kernel call issues its
// share of the lines at even steps through its k loop: issued in one burst between calls (25-100
// lines) they filled the miss buffers, and 40% of the driver's samples sat on one prefetch
// instruction (interleaved, +1-7% on the benchmark's six bf16 products). The cursor
// walks the lines itself: a list of addresses built per call cost a third of the driver's samples at
// m = 128.
class NextPanelPrefetch {
 public:
  NextPanelPrefetch(const GemmHalfArgs& p, int64_t jc, int64_t nc, int64_t l0, int64_t kc, int64_t calls) {
    if (nc <= 0) return;
    if (p.transB) {
      base_ = reinterpret_cast<const char*>(p.b + jc * p.ldb + l0);
      left_ = nc;
      rowLines_ = (kc * 2 + 63) / 64 + 1;
    } else {
      base_ = reinterpret_cast<const char*>(p.b + l0 * p.ldb + jc);
      left_ = kc;
      rowLines_ = (nc * 2 + 63) / 64 + 1;
    }
    stride_ = p.ldb * 2;
    left_ *= rowLines_;
    perCall_ = (left_ + calls - 1) / calls;
  }
  // Lines for one kernel call to issue.
  int quota() const { return static_cast<int>(std::min(perCall_, left_)); }
  void issue() {
    _mm_prefetch(base_ + line_ * 64, _MM_HINT_T1);
    --left_;
    if (++line_ == rowLines_) line_ = 0, base_ += stride_;
  }

 private:
  const char* base_ = nullptr;
  int64_t stride_ = 0, rowLines_ = 1, left_ = 0, perCall_ = 0, line_ = 0;
};

// ---------------------------------------------------------------------------------------
// bf16: packed units are 32-bit words holding two consecutive-k bf16 values (the VDPBF16PS
// operand layout). A: row-major pairs (roundRowsBf16); B panel: [pair][NR].

constexpr int kBfMR = 8;
constexpr int kBfNV = 3;  // NR = 48 columns: 24 accumulators + 3 B vectors + a broadcast
constexpr int kBfNR = 16 * kBfNV;
// k values per block. 1024 (a 96 KB B panel, streamed from L2 like the f32 path's) beat 384 (an
// L1-resident 36 KB panel) by 2-4% on 512×2048×5632 in interleaved runs: C is re-read 2× instead of
// 6× and each call's fixed cost is spread over more k.
constexpr int64_t kBfKC = 1024;

// NV of the panel's kBfNV vectors: a panel narrower than kBfNR columns (the last of a thread's range)
// runs only the vectors it has, so its cost follows its width. pf's quota of the next panel's source
// lines is prefetched at even steps through the k loop.
template <int MR, int NV>
void kernelBf16(int64_t kp, const uint32_t* __restrict a, int64_t lda, const uint32_t* __restrict b, float* c,
                int64_t ldc, int64_t nc, float alpha, float beta, NextPanelPrefetch* pf) {
  const uint32_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = a + r * lda;
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  // C is touched only after the k loop; fetching it now hides the miss behind the compute.
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16 * v), _MM_HINT_T0);
  const int npf = pf->quota();
  int64_t p = 0;
  for (int s = 0; s <= npf; ++s) {
    for (const int64_t end = s == npf ? kp : kp * (s + 1) / (npf + 1); p < end; ++p) {
      __m512bh bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_load_si512(b + p * kBfNR + 16 * v);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(rows[r][p]));
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
      }
    }
    if (s < npf) pf->issue();
  }
  __mmask16 mk[NV];
  for (int v = 0; v < NV; ++v) mk[v] = mask16(nc - 16 * v);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) storeRow<NV>(acc[r], c + r * ldc, mk, alpha, beta);
}

using BfKernel = void (*)(int64_t, const uint32_t*, int64_t, const uint32_t*, float*, int64_t, int64_t, float, float,
                          NextPanelPrefetch*);

template <int NV, int... R>
constexpr BfKernel bfKernelFor(int mr, std::integer_sequence<int, R...>) {
  BfKernel table[] = {kernelBf16<R + 1, NV>...};
  return table[mr - 1];
}

// The kernel for an mr-row, nc-column tile.
inline BfKernel bfKernel(int mr, int64_t nc) {
  static_assert(kBfNV == 3, "one case per vector count");
  constexpr auto seq = std::make_integer_sequence<int, kBfMR>();
  if (nc > 32) return bfKernelFor<3>(mr, seq);
  return nc > 16 ? bfKernelFor<2>(mr, seq) : bfKernelFor<1>(mr, seq);
}

// A stays row-major for the bf16 kernel, rounded to bf16 pairs (nearest even; an odd k pads a zero):
// the kernel broadcasts each row's pair from its own row. Transposing A into micro-panels (16×16
// word transposes, half of them zero rows) cost 3.4% of a 2-thread 512×5632×2048 product; this
// rounding streams.
// Row stride of the rounded A in words: whole lines plus one, so the eight rows a kernel reads do
// not fall in one L1 set when a row is a multiple of 4 KB.
inline int64_t bfALd(int64_t kUnits) { return (kUnits + 15) / 16 * 16 + 16; }

void roundRowsBf16(const GemmHalfArgs& p, int64_t i0, int64_t rows, int64_t lda, uint32_t* dst) {
  const int64_t kp = (p.k + 1) / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = p.a + (i0 + r) * p.lda;
    uint32_t* out = dst + r * lda;
    for (int64_t q0 = 0; q0 < kp; q0 += 16) {
      const int64_t rem = p.k - 2 * q0;
      const __m512 lo = _mm512_maskz_loadu_ps(mask16(rem), src + 2 * q0);
      const __m512 hi = _mm512_maskz_loadu_ps(mask16(rem - 16), src + 2 * q0 + 16);
      _mm512_mask_storeu_epi32(out + q0, mask16(kp - q0), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
  }
}

// B columns [j0, j0+nc), k [l0, l0+kc) -> [pair][kBfNR] words, columns past nc zero.
void packBBf16(const GemmHalfArgs& p, int64_t j0, int64_t nc, int64_t l0, int64_t kc, uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2;
  if (p.transB) {
    // Each stored row is one column of op(B): pairs are already adjacent, so a 16×16 word
    // transpose puts 16 columns side by side for each pair. Sixteen rows at a time run through the
    // whole depth, so each is a stream the prefetchers follow: all 48 rows a depth step at a time
    // took 6.0 µs to pack a panel whose source was in L2 (4.2 this way) and 25 µs from memory (13-15).
    for (int c0 = 0; c0 < usedCols(nc, kBfNR); c0 += 16) {
      for (int64_t q0 = 0; q0 < kp; q0 += 16) {
        const __mmask32 km = mask32(kc - 2 * q0);
        const int64_t nq = std::min<int64_t>(16, kp - q0);
        __m512i r[16];
        const uint16_t* src = p.b + (j0 + c0) * p.ldb + l0 + 2 * q0;
        if (c0 + 16 <= nc && km == __mmask32(0xffffffffu)) {
          // Whole 16×16 blocks (all but a matrix's edges) without per-row tests or masks.
#pragma GCC unroll 16
          for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_si512(src + i * p.ldb);
        } else {
          for (int i = 0; i < 16; ++i) {
            r[i] = c0 + i < nc ? _mm512_maskz_loadu_epi16(km, src + i * p.ldb) : _mm512_setzero_si512();
          }
        }
        transpose16(r);
        for (int64_t q = 0; q < nq; ++q) _mm512_store_si512(dst + (q0 + q) * kBfNR + c0, r[q]);
      }
    }
  } else {
    // Rows 2q and 2q+1 interleave into words: low half from the even row. The rows kPackAhead
    // further on are prefetched as each pair is read: with a row stride of 4 KB (n = 2048) the
    // panel's rows share a few L2 sets, and lines prefetched a whole panel ahead (NextPanelPrefetch)
    // are evicted before the packing reaches them.
    constexpr int64_t kPackAhead = 16;
    const int64_t rowBytes = usedCols(nc, kBfNR) * 2;
    for (int64_t q = 0; q < kp; ++q) {
      const uint16_t* r0 = p.b + (l0 + 2 * q) * p.ldb + j0;
      const bool hasOdd = 2 * q + 1 < kc;
      if (2 * q + kPackAhead + 1 < kc) {
        for (int64_t row = 0; row < 2; ++row) {
          const char* ahead = reinterpret_cast<const char*>(r0 + (kPackAhead + row) * p.ldb);
          for (int64_t b = 0; b < rowBytes; b += 64) _mm_prefetch(ahead + b, _MM_HINT_T0);
          _mm_prefetch(ahead + rowBytes - 1, _MM_HINT_T0);
        }
      }
      for (int c0 = 0; c0 < usedCols(nc, kBfNR); c0 += 16) {
        const __mmask16 cm = mask16(nc - c0);
        __m512i lo = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(cm, r0 + c0));
        __m512i hi = hasOdd ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(cm, r0 + p.ldb + c0))
                            : _mm512_setzero_si512();
        _mm512_store_si512(dst + q * kBfNR + c0, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Blocked driver: A rounded once per row block (all of k), then gemmRowBlock over the columns.

constexpr int64_t kABudget = int64_t{6} << 20;  // bytes of packed A per row block (L3-resident)
constexpr int64_t kCBudget = int64_t{384} << 10;  // bytes of the C block kept in L2

// The row blocking of [i0, i1): equal blocks of whole micro-panels whose rounded A (all of k) fits
// kABudget; a short last block would repack all of B for little work.
struct RowBlocking {
  int64_t kp, mc0;
  RowBlocking(const GemmHalfArgs& p, int64_t i0, int64_t i1) {
    kp = (p.k + 1) / 2;  // kBfKC is even, so k blocks never split a pair
    const int64_t mcMax = std::max<int64_t>(kBfMR, kABudget / int64_t(sizeof(uint32_t) * bfALd(kp)) / kBfMR * kBfMR);
    const int64_t mBlocks = (i1 - i0 + mcMax - 1) / mcMax;
    mc0 = ((i1 - i0 + mBlocks - 1) / mBlocks + kBfMR - 1) / kBfMR * kBfMR;
  }
  size_t bufferWords() const { return static_cast<size_t>(bfALd(kp) * mc0); }
};

// Rounds the micro-panels [q0, q1) of the row block at ic (mc rows) into the block's A buffer (row
// stride bfALd).
void packARows(const GemmHalfArgs& p, int64_t ic, int64_t mc, int64_t q0, int64_t q1, uint32_t* aBuf) {
  const int64_t r0 = q0 * kBfMR, rows = std::min<int64_t>(mc, q1 * kBfMR) - r0;
  if (rows <= 0) return;
  const int64_t lda = bfALd((p.k + 1) / 2);
  roundRowsBf16(p, ic + r0, rows, lda, aBuf + r0 * lda);
}

// Columns [j0, j1) of the row block at ic (mc rows) from its rounded A. For each NC-column block of
// C, every k block runs over it, so that C block (MC×NC, a few hundred KB) stays in L2 across k
// blocks instead of being re-fetched from memory each time. Within a k block each KC×NR B
// micro-panel is packed once (L2-resident) and every MR-row A micro-panel passes over it.
void gemmRowBlock(const GemmHalfArgs& p, int64_t ic, int64_t mc, int64_t mc0, const uint32_t* aBuf, int64_t j0,
                  int64_t j1) {
  const int64_t kp = (p.k + 1) / 2;
  const int64_t nc0 = std::max<int64_t>(kBfNR, kCBudget / (4 * mc0) / kBfNR * kBfNR);
  uint32_t* bBuf = tlsB.reserve<uint32_t>(std::min<int64_t>(kBfKC / 2, kp) * kBfNR);
  const int64_t aLd = bfALd(kp);
  for (int64_t jb = j0; jb < j1; jb += nc0) {
    const int64_t jbEnd = std::min<int64_t>(j1, jb + nc0);
    for (int64_t l0 = 0; l0 < p.k; l0 += kBfKC) {
      const int64_t kc = std::min<int64_t>(kBfKC, p.k - l0);
      const int64_t kpBlock = (kc + 1) / 2;
      const float beta = l0 == 0 ? p.beta : 1.0f;
      for (int64_t jc = jb; jc < jbEnd; jc += kBfNR) {
        const int64_t nc = std::min<int64_t>(kBfNR, jbEnd - jc);
        packBBf16(p, jc, nc, l0, kc, bBuf);
        // The panel packed next: the following one of this block and k range, else this block's first
        // at the next k block, else the next block's first at k 0. Prefetching only within a block and
        // k range left one panel in three (nc0 = 144) to be packed from memory: 7% of a one-thread
        // bf16 NT product in packing, 3% with every panel prefetched.
        int64_t nextJ = jc + kBfNR, nextL = l0, nextEnd = jbEnd;
        if (nextJ >= jbEnd) {
          nextJ = jb;
          nextL = l0 + kBfKC;
          if (nextL >= p.k) {
            nextL = 0;
            nextJ = jbEnd;
            nextEnd = std::min<int64_t>(j1, jbEnd + nc0);
          }
        }
        NextPanelPrefetch pf(p, nextJ, std::min<int64_t>(kBfNR, nextEnd - nextJ), nextL,
                             std::min<int64_t>(kBfKC, p.k - nextL), (mc + kBfMR - 1) / kBfMR);
        for (int64_t ir = 0; ir < mc; ir += kBfMR) {
          const int mr = static_cast<int>(std::min<int64_t>(kBfMR, mc - ir));
          float* c = p.c + (ic + ir) * p.ldc + jc;
          bfKernel(mr, nc)(kpBlock, aBuf + ir * aLd + l0 / 2, aLd, bBuf, c, p.ldc, nc, p.alpha, beta, &pf);
        }
      }
    }
  }
}

// C[i0:i1, j0:j1] on the calling thread, rounding A itself.
void gemmBlocked(const GemmHalfArgs& p, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const RowBlocking rb(p, i0, i1);
  uint32_t* aBuf = tlsA.reserve<uint32_t>(rb.bufferWords());
  for (int64_t ic = i0; ic < i1; ic += rb.mc0) {
    const int64_t mc = std::min<int64_t>(rb.mc0, i1 - ic);
    packARows(p, ic, mc, 0, (mc + kBfMR - 1) / kBfMR, aBuf);
    gemmRowBlock(p, ic, mc, rb.mc0, aBuf, j0, j1);
  }
}

void gemmBf16(const GemmHalfArgs& p) {
  const int64_t nBlocks = (p.n + kBfNR - 1) / kBfNR;
  const int64_t mBlocks = (p.m + kBfMR - 1) / kBfMR;
  // Tiny products are not worth waking the pool.
  if (p.m * p.n * p.k < (int64_t{1} << 18) || threadCount() == 1) return gemmBlocked(p, 0, p.m, 0, p.n);
  const int nt = threadCount();
  if (nBlocks >= 2 * nt || nBlocks >= mBlocks) {
    // Columns split, so each thread packs only its own B panels. A is rounded once, in parallel, into
    // the caller's buffer and shared: each thread packing all of it cost 4.5% of a 2-thread bf16
    // 512×5632×2048 product (half of that now) and held two copies in L3.
    const RowBlocking rb(p, 0, p.m);
    uint32_t* aBuf = tlsA.reserve<uint32_t>(rb.bufferWords());
    for (int64_t ic = 0; ic < p.m; ic += rb.mc0) {
      const int64_t mc = std::min<int64_t>(rb.mc0, p.m - ic);
      const int64_t panels = (mc + kBfMR - 1) / kBfMR;
      runOnThreads([&](int tid, int n) { packARows(p, ic, mc, panels * tid / n, panels * (tid + 1) / n, aBuf); });
      // Whole panels per thread: a range ending inside a panel adds a narrow one, which costs NN
      // packing a full panel's cache misses (4% on 128×2048×2048). The last panel of the matrix may
      // be narrow, and runs only the vectors it has.
      runOnThreads([&](int tid, int n) {
        const int64_t b0 = nBlocks * tid / n, b1 = nBlocks * (tid + 1) / n;
        if (b0 < b1) gemmRowBlock(p, ic, mc, rb.mc0, aBuf, b0 * kBfNR, std::min(p.n, b1 * kBfNR));
      });
    }
    return;
  }
  // Few columns: rows split, each thread rounding its own rows of A.
  runOnThreads([&](int tid, int n) {
    const int64_t b0 = mBlocks * tid / n, b1 = mBlocks * (tid + 1) / n;
    if (b0 < b1) gemmBlocked(p, b0 * kBfMR, std::min(p.m, b1 * kBfMR), 0, p.n);
  });
}

}  // namespace

void gemmHalfAvx512(const GemmHalfArgs& p) {
  // f16 runs the f32 blocked driver, widening B while packing it: +3-11% over a separate 12×32 f16
  // kernel on the benchmark's products, interleaved.
  if (p.bType == WeightType::F16) return gemmF16BAvx512(p);
  gemmBf16(p);
}

}  // namespace shorten
