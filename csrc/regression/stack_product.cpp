// AVX2/FMA stack step, chosen at run time (portable build). The BLAS path writes the rows
// X[s] (x) Phi[s] and multiplies them with the core in a GEMM only rout = r (~2-8) columns
// wide, thin for BLAS, and writing the rows costs as much as the product. Here the outputs of
// four samples at a time are accumulated in registers (four outputs per vector): the four
// samples share every load of the core and give four independent FMA chains.
#include "regression/stack_product.hpp"

#include <algorithm>

#include "common/parallel.hpp"

#include "regression/simd.hpp"

#ifdef TTSOLVE_AVX2_KERNELS
#include <immintrin.h>
#endif

namespace ttsolve::regression {
namespace {

#ifdef TTSOLVE_AVX2_KERNELS

// NS samples s0 .. s0 + NS - 1, outputs c0 .. c0 + 3 (lanes beyond rout masked off).
template <int NS>
TTSOLVE_AVX2_TARGET void samples_chunk(const double* X, int64_t rx, const double* Phi, int64_t phi_stride, int64_t p,
                                const double* C, int64_t rout, int64_t s0, int64_t c0, __m256i mask, bool partial,
                                double* out) {
  __m256d acc[NS];
  for (int i = 0; i < NS; ++i) acc[i] = _mm256_setzero_pd();
  for (int64_t x = 0; x < rx; ++x) {
    __m256d v[NS];
    for (int i = 0; i < NS; ++i) v[i] = _mm256_setzero_pd();
    for (int64_t j = 0; j < p; ++j) {
      const double* c = C + (x * p + j) * rout + c0;
      const __m256d cv = partial ? _mm256_maskload_pd(c, mask) : _mm256_loadu_pd(c);
      for (int i = 0; i < NS; ++i)
        v[i] = _mm256_fmadd_pd(_mm256_broadcast_sd(Phi + (s0 + i) * phi_stride + j), cv, v[i]);
    }
    for (int i = 0; i < NS; ++i) acc[i] = _mm256_fmadd_pd(_mm256_broadcast_sd(X + (s0 + i) * rx + x), v[i], acc[i]);
  }
  for (int i = 0; i < NS; ++i) {
    double* o = out + (s0 + i) * rout + c0;
    if (partial)
      _mm256_maskstore_pd(o, mask, acc[i]);
    else
      _mm256_storeu_pd(o, acc[i]);
  }
}

TTSOLVE_AVX2_TARGET void stack_product_avx2(const double* X, int64_t rx, const double* Phi, int64_t phi_stride, int64_t p,
                                     const double* C, int64_t rout, int64_t s_begin, int64_t s_end, double* out) {
  const int64_t full = rout & ~int64_t(3);
  const __m256i mask = _mm256_setr_epi64x(full + 0 < rout ? -1 : 0, full + 1 < rout ? -1 : 0,
                                          full + 2 < rout ? -1 : 0, full + 3 < rout ? -1 : 0);
  for (int64_t c0 = 0; c0 < rout; c0 += 4) {
    const bool partial = c0 == full;
    int64_t s = s_begin;
    for (; s + 4 <= s_end; s += 4) samples_chunk<4>(X, rx, Phi, phi_stride, p, C, rout, s, c0, mask, partial, out);
    for (; s < s_end; ++s) samples_chunk<1>(X, rx, Phi, phi_stride, p, C, rout, s, c0, mask, partial, out);
  }
}
#endif

}  // namespace

void stack_product(const double* X, int64_t rx, const double* Phi, int64_t phi_stride, int64_t p, const double* C,
                   int64_t rout, int64_t K, double* out) {
#ifdef TTSOLVE_AVX2_KERNELS
  // Groups of 512 samples (a multiple of 4, so a sample's group of four never depends on
  // the thread split); threads only for enough work: waking the team costs ~10 us.
  constexpr int64_t kGroup = 512;
  const int64_t ngroups = (K + kGroup - 1) / kGroup;
  const int threads = 2.0 * K * rx * p * rout < 2e5 ? 1 : ttsolve::get_num_threads();
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
  for (int64_t g = 0; g < ngroups; ++g)
    stack_product_avx2(X, rx, Phi, phi_stride, p, C, rout, g * kGroup, std::min(K, (g + 1) * kGroup), out);
#else
  (void)X, (void)rx, (void)Phi, (void)phi_stride, (void)p, (void)C, (void)rout, (void)K, (void)out;
#endif
}

}  // namespace ttsolve::regression
