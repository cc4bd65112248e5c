// AVX2/FMA kernel for the Gram's triple-product sums, compiled for that target only and chosen
// at run time (portable build, no -march): a GEMM of the row-wise Kronecker product U (x) V
// against W would spend as much time writing U (x) V as multiplying, and its output width nw
// (~10-20) is too thin for a BLAS micro-kernel; here U (x) V is formed in registers.
#include "regression/triple_product.hpp"

#include "regression/simd.hpp"

#ifdef TTSOLVE_AVX2_KERNELS
#include <immintrin.h>
#endif

namespace ttsolve::regression {
namespace {

#ifdef TTSOLVE_AVX2_KERNELS

TTSOLVE_AVX2_TARGET inline double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// (sum of a's lanes, sum of b's, sum of c's, sum of d's)
TTSOLVE_AVX2_TARGET inline __m256d hsum4(__m256d a, __m256d b, __m256d c, __m256d d) {
  const __m256d ab = _mm256_hadd_pd(a, b);  // a0+a1, b0+b1, a2+a3, b2+b3
  const __m256d cd = _mm256_hadd_pd(c, d);
  return _mm256_add_pd(_mm256_permute2f128_pd(ab, cd, 0x20), _mm256_permute2f128_pd(ab, cd, 0x31));
}

// NR (1 or 2) rows (u_r v_r) against NB columns w_b: t_r[b] += sum_s u_r[s] v_r[s] w_b[s].
template <int NR, int NB>
TTSOLVE_AVX2_TARGET void tile(const double* const* u, const double* const* v, const double* w, int64_t ld, int64_t bn,
                       double* const* t) {
  __m256d acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_pd();
  const int64_t n4 = bn & ~int64_t(3);
  for (int64_t s = 0; s < n4; s += 4) {
    __m256d uv[NR];
    for (int r = 0; r < NR; ++r) uv[r] = _mm256_mul_pd(_mm256_loadu_pd(u[r] + s), _mm256_loadu_pd(v[r] + s));
    for (int b = 0; b < NB; ++b) {
      const __m256d wb = _mm256_loadu_pd(w + b * ld + s);
      for (int r = 0; r < NR; ++r) acc[r][b] = _mm256_fmadd_pd(uv[r], wb, acc[r][b]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    double sums[NB];
    int b = 0;
    for (; b + 4 <= NB; b += 4) _mm256_storeu_pd(sums + b, hsum4(acc[r][b], acc[r][b + 1], acc[r][b + 2], acc[r][b + 3]));
    for (; b < NB; ++b) sums[b] = hsum(acc[r][b]);
    for (b = 0; b < NB; ++b) {
      for (int64_t s = n4; s < bn; ++s) sums[b] += u[r][s] * v[r][s] * w[b * ld + s];
      t[r][b] += sums[b];
    }
  }
}

template <int NR>
TTSOLVE_AVX2_TARGET void tile_of_width(int64_t width, const double* const* u, const double* const* v, const double* w,
                                int64_t ld, int64_t bn, double* const* t) {
  switch (width) {
    case 6: tile<NR, 6>(u, v, w, ld, bn, t); break;
    case 5: tile<NR, 5>(u, v, w, ld, bn, t); break;
    case 4: tile<NR, 4>(u, v, w, ld, bn, t); break;
    case 3: tile<NR, 3>(u, v, w, ld, bn, t); break;
    case 2: tile<NR, 2>(u, v, w, ld, bn, t); break;
    default: tile<NR, 1>(u, v, w, ld, bn, t); break;
  }
}

TTSOLVE_AVX2_TARGET void triple_product_avx2(const double* U, int64_t nu, const double* V, int64_t nv, const double* W,
                                      int64_t nw, int64_t bn, int64_t ld, double* T) {
  const int64_t rows = nu * nv;
  // Column tiles of (nearly) equal width <= 6 (21 -> 6 5 5 5, 10 -> 5 5) in the outer loop:
  // a tile's W rows stay in L1 while all (u v) rows stream past them.
  const int64_t ntiles = (nw + 5) / 6;
  for (int64_t c = 0, b0 = 0; c < ntiles; ++c) {
    const int64_t width = (nw - b0) / (ntiles - c);
    const double* wt = W + b0 * ld;
    int64_t row = 0;
    for (; row + 2 <= rows; row += 2) {
      const double* u[2] = {U + (row / nv) * ld, U + ((row + 1) / nv) * ld};
      const double* v[2] = {V + (row % nv) * ld, V + ((row + 1) % nv) * ld};
      double* t[2] = {T + row * nw + b0, T + (row + 1) * nw + b0};
      tile_of_width<2>(width, u, v, wt, ld, bn, t);
    }
    if (row < rows) {
      const double* u[1] = {U + (row / nv) * ld};
      const double* v[1] = {V + (row % nv) * ld};
      double* t[1] = {T + row * nw + b0};
      tile_of_width<1>(width, u, v, wt, ld, bn, t);
    }
    b0 += width;
  }
}
#endif

}  // namespace

void triple_product_sum(const double* U, int64_t nu, const double* V, int64_t nv, const double* W, int64_t nw,
                        int64_t bn, int64_t ld, double* T) {
#ifdef TTSOLVE_AVX2_KERNELS
  triple_product_avx2(U, nu, V, nv, W, nw, bn, ld, T);
#else
  (void)U, (void)nu, (void)V, (void)nv, (void)W, (void)nw, (void)bn, (void)ld, (void)T;
#endif
}

}  // namespace ttsolve::regression
