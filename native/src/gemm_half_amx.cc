// AMX GEMM (Intel Sapphire Rapids and later): C = alpha·op(A)·op(B) + beta·C with A f32 rounded to
// bf16 (nearest even, as the AVX512-BF16 path and PyTorch do), B bf16 (a weight) or f32 rounded the
// same way (the weight gradient of bf16 training, dW = dYᵀ·X), and f32 accumulation in tile
// registers. On such hosts VDPBF16PS runs at half the FMA rate, so the AVX512-BF16 kernel reads below
// our own f32 GEMM; the tiles do 16×16×32 products per instruction.
//
// Layout: A is rounded into a row-major bf16 copy padded to 32 rows and a multiple of 32 k; each
// thread packs its own B panels (kKC k × kNC columns) into 16-column × 32-k tiles in the pair order
// TDPBF16PS reads (row r = pairs k 2r, 2r+1 of 16 columns). The micro-kernel holds a 32×32 block of
// C in four tiles (2 A tiles × 2 B tiles per step), stores it to a small f32 block, and folds it into
// C with alpha and beta.
// GCC 12's AVX-512 headers seed widening intrinsics with _mm512_undefined_*, which trips a
// false (maybe-)uninitialized warning at every inlined use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "scratch_buffer.h"
#include "thread_pool.h"
#include "transpose16_avx512.h"

namespace shorten {
namespace {

// k per packed panel: 64 tiles of 32. Deep panels matter more than on the FMA path: each k block
// folds the tile results into C once (a read and a write of C), and with kKC 512 those passes held the
// tiles to 1030-1450 GFLOP/s on the 2048-wide model's shapes; kKC 2048 runs the same shapes at
// 1300-1970 (KC 1024, 4096 and 8192 and NC 128 and 512 measured lower, scratch gemm probe).
constexpr int64_t kKC = 2048;
constexpr int64_t kNC = 256;  // columns per packed panel (16 tiles of 16): 1 MiB with kKC, half of L2
constexpr int64_t kTile = 16 * 32;  // bf16 values in one tile

// One product: A f32 (m×k, or stored k×m when transA), B bf16 or f32 (k×n, or stored n×k when transB).
struct Operands {
  bool transA, transB;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const uint16_t* bHalf;  // one of bHalf, bF32
  const float* bF32;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

struct TileConfig {
  uint8_t palette;
  uint8_t startRow;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// Tiles 0-3: C (16 rows × 16 f32); 4-5: A (16 rows × 32 bf16); 6-7: B (16 pair rows × 16 columns).
void configureTiles() {
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

thread_local ScratchBuffer tlsB;
ScratchBuffer sharedA;

inline __mmask16 mask16(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1); }


inline __m512 loadF32(const float* src, int64_t valid) { return _mm512_maskz_loadu_ps(mask16(valid), src); }

// Rows [i0, i1) (a multiple of 16 apart) of a transposed A (stored k×m) rounded to bf16 into the
// padded copy: 16×16 blocks transposed in registers, two of them (32 k) per bf16 store.
void roundATransposed(const Operands& p, int64_t i0, int64_t i1, int64_t kp, uint16_t* dst) {
  for (int64_t ib = i0; ib < i1; ib += 16) {
    for (int64_t l = 0; l < kp; l += 32) {
      __m512i lo[16], hi[16];
      for (int q = 0; q < 16; ++q) {
        lo[q] = l + q < p.k ? (__m512i)loadF32(p.a + (l + q) * p.lda + ib, p.m - ib) : _mm512_setzero_si512();
        hi[q] = l + 16 + q < p.k ? (__m512i)loadF32(p.a + (l + 16 + q) * p.lda + ib, p.m - ib) : _mm512_setzero_si512();
      }
      transpose16(lo);
      transpose16(hi);
      for (int j = 0; j < 16; ++j)
        _mm512_storeu_si512(dst + (ib + j) * kp + l,
                            (__m512i)_mm512_cvtne2ps_pbh((__m512)hi[j], (__m512)lo[j]));
    }
  }
}

// Rows [i0, i1) of A rounded to bf16 into the padded copy (row stride kp; zeros past k and m).
void roundA(const Operands& p, int64_t i0, int64_t i1, int64_t kp, uint16_t* dst) {
  if (p.transA) return roundATransposed(p, i0, i1, kp, dst);
  for (int64_t i = i0; i < i1; ++i) {
    uint16_t* out = dst + i * kp;
    if (i >= p.m) {
      std::memset(out, 0, kp * 2);
      continue;
    }
    const float* src = p.a + i * p.lda;
    for (int64_t l = 0; l < kp; l += 32) {
      const __m512 lo = _mm512_maskz_loadu_ps(mask16(p.k - l), src + l);
      const __m512 hi = _mm512_maskz_loadu_ps(mask16(p.k - l - 16), src + l + 16);
      _mm512_storeu_si512(out + l, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
  }
}

// 16 consecutive values of an f32 B row rounded to bf16 (zeros past `valid`).
inline __m256i roundedRow(const float* src, int64_t valid) {
  return (__m256i)_mm512_cvtneps_pbh(loadF32(src, valid));
}

// One tile of B for columns [c0, c0 + 16) and k [l0, l0 + 32), in TDPBF16PS pair order: row r holds,
// for each column, the bf16 pair at k l0 + 2r, l0 + 2r + 1. Out-of-range columns and k are zeros.
void packTile(const Operands& p, int64_t c0, int64_t l0, uint16_t* tile) {
  __m512i r[16];
  if (p.bF32 && p.transB) {
    // f32 B stored n×k: 32 k of column c rounded into 16 pairs, then transposed as for bf16.
    for (int c = 0; c < 16; ++c) {
      if (c0 + c >= p.n) {
        r[c] = _mm512_setzero_si512();
        continue;
      }
      const float* row = p.bF32 + (c0 + c) * p.ldb + l0;
      r[c] = (__m512i)_mm512_cvtne2ps_pbh(loadF32(row + 16, p.k - l0 - 16), loadF32(row, p.k - l0));
    }
    transpose16(r);
  } else if (p.bF32) {
    // f32 B stored k×n: rows l0 + 2r and l0 + 2r + 1 rounded and interleaved.
    for (int q = 0; q < 16; ++q) {
      const int64_t l = l0 + 2 * q;
      const __m256i lo = l < p.k ? roundedRow(p.bF32 + l * p.ldb + c0, p.n - c0) : _mm256_setzero_si256();
      const __m256i hi = l + 1 < p.k ? roundedRow(p.bF32 + (l + 1) * p.ldb + c0, p.n - c0) : _mm256_setzero_si256();
      r[q] = _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
    }
  } else if (p.transB) {
    // B stored n×k: column c is a row of the weight, its pairs already adjacent; 16 such rows
    // transposed (as 32-bit words) give the pair rows.
    const __mmask32 km = l0 + 32 <= p.k ? __mmask32(0xffffffffu) : __mmask32((1ull << std::max<int64_t>(p.k - l0, 0)) - 1);
    for (int c = 0; c < 16; ++c)
      r[c] = c0 + c < p.n ? _mm512_maskz_loadu_epi16(km, p.bHalf + (c0 + c) * p.ldb + l0) : _mm512_setzero_si512();
    transpose16(r);
  } else {
    // B stored k×n: pair row r interleaves k rows l0 + 2r and l0 + 2r + 1 over the 16 columns.
    const __mmask16 cm = mask16(p.n - c0);
    for (int q = 0; q < 16; ++q) {
      const int64_t l = l0 + 2 * q;
      const __m256i lo = l < p.k ? _mm256_maskz_loadu_epi16(cm, p.bHalf + l * p.ldb + c0) : _mm256_setzero_si256();
      const __m256i hi = l + 1 < p.k ? _mm256_maskz_loadu_epi16(cm, p.bHalf + (l + 1) * p.ldb + c0) : _mm256_setzero_si256();
      r[q] = _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
    }
  }
  for (int q = 0; q < 16; ++q) _mm512_store_si512(tile + q * 32, r[q]);
}

// Two adjacent tiles of a bf16 B stored k×n (columns [c0, c0 + 32), k [l0, l0 + 32)) in one pass:
// each 64-byte row segment is read once for both. Packed a tile at a time, the second tile re-read
// the lines the first had read, and with a row stride of 4 KiB (n = 2048) those 32 lines share one
// L1 set and were gone by then: NN products ran at 1310-1560 GFLOP/s against 1800-1920 for NT.
void packTilePairKxN(const Operands& p, int64_t c0, int64_t l0, uint16_t* tile0, uint16_t* tile1) {
  const int64_t cols = p.n - c0;
  const __mmask32 cm = cols >= 32 ? __mmask32(0xffffffffu) : __mmask32((1ull << std::max<int64_t>(cols, 0)) - 1);
  // Pair row q of the first tile: a[0], b[0], a[1], b[1], ... a[15], b[15]; of the second: a[16..31].
  alignas(64) static const uint16_t kFirst[32] = {0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
                                                  8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  alignas(64) static const uint16_t kSecond[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                                   24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
  const __m512i first = _mm512_load_si512(kFirst), second = _mm512_load_si512(kSecond);
  for (int q = 0; q < 16; ++q) {
    const int64_t l = l0 + 2 * q;
    const __m512i a = l < p.k ? _mm512_maskz_loadu_epi16(cm, p.bHalf + l * p.ldb + c0) : _mm512_setzero_si512();
    const __m512i b = l + 1 < p.k ? _mm512_maskz_loadu_epi16(cm, p.bHalf + (l + 1) * p.ldb + c0) : _mm512_setzero_si512();
    _mm512_store_si512(tile0 + q * 32, _mm512_permutex2var_epi16(a, first, b));
    _mm512_store_si512(tile1 + q * 32, _mm512_permutex2var_epi16(a, second, b));
  }
}

// C[i0.., j0..] (rows < m, columns < jEnd) = alpha·blk + (first ? beta·C : C), blk a 32×32 f32
// block. jEnd is the end of this thread's panel: columns past it belong to another thread.
void foldBlock(const Operands& p, const float* blk, int64_t i0, int64_t j0, int64_t jEnd, bool first) {
  const int64_t rows = std::min<int64_t>(32, p.m - i0);
  const __mmask16 m0 = mask16(jEnd - j0), m1 = mask16(jEnd - j0 - 16);
  const __m512 va = _mm512_set1_ps(p.alpha), vb = _mm512_set1_ps(first ? p.beta : 1.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float* c = p.c + (i0 + r) * p.ldc + j0;
    for (int h = 0; h < 2; ++h) {
      const __mmask16 mk = h == 0 ? m0 : m1;
      if (mk == 0) continue;
      __m512 v = _mm512_mul_ps(va, _mm512_load_ps(blk + r * 32 + 16 * h));
      if (!first || p.beta != 0.0f) v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mk, c + 16 * h), v);
      _mm512_mask_storeu_ps(c + 16 * h, mk, v);
    }
  }
}

// The columns [jBegin, jEnd) of C (multiples of 16 but the last), all rows, on one thread.
void runColumns(const Operands& p, const uint16_t* a, int64_t kp, int64_t mp, int64_t jBegin, int64_t jEnd) {
  configureTiles();
  alignas(64) float blk[32 * 32];
  for (int64_t jc = jBegin; jc < jEnd; jc += kNC) {
    const int64_t nc = std::min(kNC, jEnd - jc);
    const int64_t groups = (nc + 15) / 16;
    for (int64_t pc = 0; pc < kp; pc += kKC) {
      const int64_t kc = std::min(kKC, kp - pc);
      const int64_t kb = kc / 32;
      // The panel: group g's tiles for this k block are contiguous, kb of them.
      uint16_t* panel = tlsB.reserve<uint16_t>(static_cast<size_t>((groups + 1) * kb * kTile));
      const bool pairs = p.bHalf != nullptr && !p.transB;
      for (int64_t g = 0; g < groups; g += pairs ? 2 : 1)
        for (int64_t t = 0; t < kb; ++t) {
          uint16_t* tile = panel + (g * kb + t) * kTile;
          // The panel has room for one group past an odd last one (zeroed below when it is used).
          if (pairs) packTilePairKxN(p, jc + 16 * g, pc + 32 * t, tile, tile + kb * kTile);
          else packTile(p, jc + 16 * g, pc + 32 * t, tile);
        }
      // A second group of zeros lets an odd last group run as a pair.
      if (groups % 2) std::memset(panel + groups * kb * kTile, 0, kb * kTile * 2);
      const bool first = pc == 0;
      for (int64_t ic = 0; ic < mp; ic += 32) {
        const uint16_t* a0 = a + ic * kp + pc;
        const uint16_t* a1 = a0 + 16 * kp;
        for (int64_t g = 0; g < groups; g += 2) {
          const uint16_t* b0 = panel + g * kb * kTile;
          const uint16_t* b1 = b0 + kb * kTile;
          _tile_zero(0);
          _tile_zero(1);
          _tile_zero(2);
          _tile_zero(3);
          for (int64_t t = 0; t < kb; ++t) {
            _tile_loadd(4, a0 + 32 * t, kp * 2);
            _tile_loadd(5, a1 + 32 * t, kp * 2);
            _tile_loadd(6, b0 + t * kTile, 64);
            _tile_loadd(7, b1 + t * kTile, 64);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
          }
          _tile_stored(0, blk, 128);
          _tile_stored(1, blk + 16, 128);
          _tile_stored(2, blk + 16 * 32, 128);
          _tile_stored(3, blk + 16 * 32 + 16, 128);
          if (ic < p.m) foldBlock(p, blk, ic, jc + 16 * g, jc + nc, first);
        }
      }
    }
  }
  _tile_release();
}

void runAmx(const Operands& p) {
  const int64_t kp = (p.k + 31) / 32 * 32;
  const int64_t mp = (p.m + 31) / 32 * 32;
  uint16_t* a = sharedA.reserve<uint16_t>(static_cast<size_t>(mp * kp));
  parallelFor(mp, 32, [&](int64_t i0, int64_t i1) { roundA(p, i0, i1, kp, a); }, kp * 4);
  // Threads take equal runs of whole 16-column tiles.
  runOnThreads([&](int tid, int nthreads) {
    const int64_t tiles = (p.n + 15) / 16;
    const int64_t t0 = tiles * tid / nthreads, t1 = tiles * (tid + 1) / nthreads;
    if (t1 > t0) runColumns(p, a, kp, mp, 16 * t0, std::min(p.n, 16 * t1));
  });
}

}  // namespace

void gemmHalfAmx(const GemmHalfArgs& p) {
  runAmx({false, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, nullptr, p.ldb, p.beta, p.c, p.ldc});
}

void gemmRoundedAmx(const GemmF32Args& p) {
  runAmx({p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, nullptr, p.b, p.ldb, p.beta, p.c, p.ldc});
}

}  // namespace shorten
