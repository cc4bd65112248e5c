#include "mcmc/rbm_kernels.hpp"

#include <algorithm>
#include <cmath>

#include "mcmc/vec4.hpp"
#include "regression/simd.hpp"

// v4 values only pass between always-inline helpers (mcmc/vec4.hpp), never across an ABI boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ttsolve::mcmc {

namespace {

constexpr int64_t kChunk = ChunkedColumns::kChunk;
// out[h0 .. h0 + kChunk) for every move: the moved sites alternate between two sets of four
// vector accumulators (independent FMA chains), added at the end; a fixed order per element.
__attribute__((always_inline)) inline void full_chunk(const double* slice, const PreactivationMove* moves,
                                                      int64_t n_moves, int64_t h0) {
  for (int64_t m = 0; m < n_moves; ++m) {
    const PreactivationMove& mv = moves[m];
    v4 a0 = load4(mv.base + h0), a1 = load4(mv.base + h0 + 4), a2 = load4(mv.base + h0 + 8),
       a3 = load4(mv.base + h0 + 12);
    v4 b0 = {0, 0, 0, 0}, b1 = b0, b2 = b0, b3 = b0;
    int64_t k = 0;
    for (; k + 1 < mv.n; k += 2) {
      const double s = mv.signs[k], t = mv.signs[k + 1];  // s * w exact: the same with or without FMA
      const double* w = slice + mv.sites[k] * kChunk;
      const double* u = slice + mv.sites[k + 1] * kChunk;
      a0 += s * load4(w);
      b0 += t * load4(u);
      a1 += s * load4(w + 4);
      b1 += t * load4(u + 4);
      a2 += s * load4(w + 8);
      b2 += t * load4(u + 8);
      a3 += s * load4(w + 12);
      b3 += t * load4(u + 12);
    }
    if (k < mv.n) {
      const double s = mv.signs[k];
      const double* w = slice + mv.sites[k] * kChunk;
      a0 += s * load4(w);
      a1 += s * load4(w + 4);
      a2 += s * load4(w + 8);
      a3 += s * load4(w + 12);
    }
    store4(mv.out + h0, a0 + b0);
    store4(mv.out + h0 + 4, a1 + b1);
    store4(mv.out + h0 + 8, a2 + b2);
    store4(mv.out + h0 + 12, a3 + b3);
  }
}

// The last H % kChunk units, scalar, in the same order per element as full_chunk.
__attribute__((always_inline)) inline void tail_chunk(const double* WT, int64_t H, const PreactivationMove* moves,
                                                      int64_t n_moves, int64_t h0) {
  for (int64_t m = 0; m < n_moves; ++m) {
    const PreactivationMove& mv = moves[m];
    for (int64_t h = h0; h < H; ++h) {
      double a = mv.base[h], b = 0.0;
      int64_t k = 0;
      for (; k + 1 < mv.n; k += 2) {
        a += mv.signs[k] * WT[mv.sites[k] * H + h];
        b += mv.signs[k + 1] * WT[mv.sites[k + 1] * H + h];
      }
      if (k < mv.n) a += mv.signs[k] * WT[mv.sites[k] * H + h];
      mv.out[h] = a + b;
    }
  }
}

__attribute__((always_inline)) inline void all_moves(const ChunkedColumns& W, const PreactivationMove* moves,
                                                     int64_t n_moves) {
  const int64_t D = W.dim, H = W.n_hidden;
  int64_t h0 = 0;
  for (; h0 + kChunk <= H; h0 += kChunk) full_chunk(W.values.data() + (h0 / kChunk) * D * kChunk, moves, n_moves, h0);
  if (h0 < H) tail_chunk(W.WT, H, moves, n_moves, h0);
}

void moves_portable(const ChunkedColumns& W, const PreactivationMove* moves, int64_t n_moves) {
  all_moves(W, moves, n_moves);
}

#ifdef TTSOLVE_AVX2_KERNELS
TTSOLVE_AVX2_TARGET void moves_avx2(const ChunkedColumns& W, const PreactivationMove* moves, int64_t n_moves) {
  all_moves(W, moves, n_moves);
}
#endif

__attribute__((always_inline)) inline void exp_all(const double* x, double* out, int64_t n) {
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) exp4(x + k, out + k);
  if (k < n) {
    double in[4] = {0.0, 0.0, 0.0, 0.0}, res[4];
    for (int64_t j = k; j < n; ++j) in[j - k] = x[j];
    exp4(in, res);
    for (int64_t j = k; j < n; ++j) out[j] = res[j - k];
  }
}

void exp_portable(const double* x, double* out, int64_t n) { exp_all(x, out, n); }

// softplus_sigmoid on four lanes: e = exp(-|a|), s = (a >= 0 ? 1 : e) / (1 + e), max(a, 0)
// summed and the factors 1 + e multiplied per lane (the caller takes the logs).
__attribute__((always_inline)) inline void softplus4(const double* a_in, float* s_out, v4& total, v4& prod) {
  const v4 a = load4(a_in);
  const v4 zero = {0.0, 0.0, 0.0, 0.0}, one = {1.0, 1.0, 1.0, 1.0};
  const v4 neg = a < zero ? a : -a;  // -|a| (NaN stays NaN)
  double e_arr[4];
  exp4(reinterpret_cast<const double*>(&neg), e_arr);
  const v4 e = load4(e_arr), t = one + e;
  const v4 s = (a >= zero ? one : e) / t;
  total += a > zero ? a : zero;
  prod *= t;
  for (int j = 0; j < 4; ++j) s_out[j] = float(s[j]);
}

// Lanes take units h = 4 k + j; every kSoftplusBatch units (at most 2^(batch / 4) per lane
// product, factors in [1, 2]) the four lane products enter the sum as two logs.
constexpr int64_t kSoftplusBatch = 1024;

__attribute__((always_inline)) inline double softplus_all(const double* A, int64_t H, float* s) {
  v4 total = {0.0, 0.0, 0.0, 0.0};
  double logs = 0.0;
  int64_t h = 0;
  while (h < H) {
    v4 prod = {1.0, 1.0, 1.0, 1.0};
    const int64_t end = std::min(H, h + kSoftplusBatch);
    for (; h + 4 <= end; h += 4) softplus4(A + h, s + h, total, prod);
    if (h < end) {  // the last H % 4 units; padding a = -1e300 adds e = 0, factor 1, s = 0
      double pad[4] = {-1e300, -1e300, -1e300, -1e300};
      float out[4];
      for (int64_t j = h; j < end; ++j) pad[j - h] = A[j];
      softplus4(pad, out, total, prod);
      for (int64_t j = h; j < end; ++j) s[j] = out[j - h];
      h = end;
    }
    logs += std::log(prod[0] * prod[1]) + std::log(prod[2] * prod[3]);
  }
  return ((total[0] + total[1]) + (total[2] + total[3])) + logs;
}

double softplus_portable(const double* A, int64_t H, float* s) { return softplus_all(A, H, s); }

#ifdef TTSOLVE_AVX2_KERNELS
// avx2 without fma: no contraction, the same roundings as the portable build
__attribute__((target("avx2"))) void exp_avx2(const double* x, double* out, int64_t n) { exp_all(x, out, n); }
__attribute__((target("avx2"))) double softplus_avx2(const double* A, int64_t H, float* s) {
  return softplus_all(A, H, s);
}
#endif

}  // namespace

void exp_nonpositive(const double* x, double* out, int64_t n) {
#ifdef TTSOLVE_AVX2_KERNELS
  if (regression::simd_enabled()) return exp_avx2(x, out, n);
#endif
  exp_portable(x, out, n);
}

double softplus_sum_and_sigmoid(const double* A, int64_t H, float* s) {
#ifdef TTSOLVE_AVX2_KERNELS
  if (regression::simd_enabled()) return softplus_avx2(A, H, s);
#endif
  return softplus_portable(A, H, s);
}

void ChunkedColumns::prepare(const double* WT_, int64_t D, int64_t H) {
  dim = D;
  n_hidden = H;
  WT = WT_;
  const int64_t n_chunks = H / kChunk;
  values.resize(size_t(n_chunks * D * kChunk));
  for (int64_t q = 0; q < n_chunks; ++q)
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < kChunk; ++j) values[size_t((q * D + i) * kChunk + j)] = WT[i * H + q * kChunk + j];
}

void move_preactivations(const ChunkedColumns& W, const PreactivationMove* moves, int64_t n_moves) {
#ifdef TTSOLVE_AVX2_KERNELS
  if (regression::simd_enabled()) return moves_avx2(W, moves, n_moves);
#endif
  moves_portable(W, moves, n_moves);
}

}  // namespace ttsolve::mcmc
