#include "mcmc/rbm_kernels.hpp"

#include <algorithm>

#include "regression/simd.hpp"

namespace ttsolve::mcmc {

namespace {

constexpr int64_t kChunk = 16;
// Four lanes of doubles (GCC vector extension: one AVX register, or two SSE2 ones in the
// portable build); the accumulators are explicit so the compiler vectorises over h, not over
// the (gathered) moved sites.
typedef double v4 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline v4 load4(const double* p) {
  v4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store4(double* p, v4 v) { __builtin_memcpy(p, &v, sizeof v); }

// out[h0 .. h0 + kChunk) for every move, 16 accumulators in four vectors.
__attribute__((always_inline)) inline void full_chunk(const double* WT, int64_t H, const PreactivationMove* moves,
                                                      int64_t n_moves, int64_t h0) {
  for (int64_t m = 0; m < n_moves; ++m) {
    const PreactivationMove& mv = moves[m];
    v4 a0 = load4(mv.base + h0), a1 = load4(mv.base + h0 + 4), a2 = load4(mv.base + h0 + 8),
       a3 = load4(mv.base + h0 + 12);
    for (int64_t k = 0; k < mv.n; ++k) {
      const double s = mv.signs[k];  // s * w exact: the same with or without FMA
      const double* w = WT + mv.sites[k] * H + h0;
      a0 += s * load4(w);
      a1 += s * load4(w + 4);
      a2 += s * load4(w + 8);
      a3 += s * load4(w + 12);
    }
    store4(mv.out + h0, a0);
    store4(mv.out + h0 + 4, a1);
    store4(mv.out + h0 + 8, a2);
    store4(mv.out + h0 + 12, a3);
  }
}

// The last H % kChunk units, scalar (same order per element).
__attribute__((always_inline)) inline void tail_chunk(const double* WT, int64_t H, const PreactivationMove* moves,
                                                      int64_t n_moves, int64_t h0) {
  for (int64_t m = 0; m < n_moves; ++m) {
    const PreactivationMove& mv = moves[m];
    for (int64_t h = h0; h < H; ++h) {
      double a = mv.base[h];
      for (int64_t k = 0; k < mv.n; ++k) a += mv.signs[k] * WT[mv.sites[k] * H + h];
      mv.out[h] = a;
    }
  }
}

__attribute__((always_inline)) inline void all_moves(const double* WT, int64_t H, const PreactivationMove* moves,
                                                     int64_t n_moves) {
  int64_t h0 = 0;
  for (; h0 + kChunk <= H; h0 += kChunk) full_chunk(WT, H, moves, n_moves, h0);
  if (h0 < H) tail_chunk(WT, H, moves, n_moves, h0);
}

void moves_portable(const double* WT, int64_t H, const PreactivationMove* moves, int64_t n_moves) {
  all_moves(WT, H, moves, n_moves);
}

#ifdef TTSOLVE_AVX2_KERNELS
TTSOLVE_AVX2_TARGET void moves_avx2(const double* WT, int64_t H, const PreactivationMove* moves, int64_t n_moves) {
  all_moves(WT, H, moves, n_moves);
}
#endif

}  // namespace

void move_preactivations(const double* WT, int64_t H, const PreactivationMove* moves, int64_t n_moves) {
#ifdef TTSOLVE_AVX2_KERNELS
  if (regression::simd_enabled()) return moves_avx2(WT, H, moves, n_moves);
#endif
  moves_portable(WT, H, moves, n_moves);
}

}  // namespace ttsolve::mcmc
