// ALS building blocks: stack updates and the normal equations of one core, all as
// per-block GEMM/SYRK calls so the dominant O(K n^2) Gram assembly runs at BLAS speed.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "common/blas_runtime.hpp"
#include "common/interrupt.hpp"
#include "common/lapack.hpp"
#include "common/parallel.hpp"
#include "regression/regression.hpp"

namespace ttsolve::regression {
namespace {

constexpr int64_t kBlock = 256;        // samples per design block
constexpr int64_t kMaxChunks = 16;     // partial Grams, fixed => same sums for any thread count
constexpr int64_t kChunkBytes = int64_t(1) << 28;

int64_t num_blocks(int64_t K) { return (K + kBlock - 1) / kBlock; }

// Threads for a region of `flops` work: waking a team costs more than small kernels on a
// busy machine (and results do not depend on the thread count anyway).
int threads_for(double flops) { return flops < 2e7 ? 1 : ttsolve::get_num_threads(); }

}  // namespace

namespace {

// out (K x ncols) = Z B where row i of Z (length m) is written by fill(i, z): one GEMM per
// block of samples. B is (m x ncols), or (ncols x m) when trans_b.
template <class Fill>
void blocked_gemm(int64_t K, int64_t m, int64_t ncols, Fill fill, bool trans_b, const double* B, double* out) {
  const int64_t nb = num_blocks(K);
  la::BlasSingleThreadScope single;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(2.0 * K * m * ncols))
#endif
  {
    std::vector<double> Z(kBlock * m);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
    for (int64_t blk = 0; blk < nb; ++blk) {
      const int64_t i0 = blk * kBlock, bn = std::min(kBlock, K - i0);
      for (int64_t i = 0; i < bn; ++i) fill(i0 + i, &Z[i * m]);
      la::gemm(false, trans_b, bn, ncols, m, 1.0, Z.data(), m, B, trans_b ? m : ncols, 0.0, out + i0 * ncols, ncols);
    }
  }
}

}  // namespace

void stack_left(const double* L, const double* Phi, int64_t K, int64_t d, int64_t p, int64_t k,
                const double* core, int64_t r, int64_t r2, double* Lout) {
  auto fill = [&](int64_t s, double* z) {  // z = L[s] (x) Phi[s, k]
    const double* ph = Phi + (s * d + k) * p;
    for (int64_t a = 0; a < r; ++a)
      for (int64_t j = 0; j < p; ++j) z[a * p + j] = L[s * r + a] * ph[j];
  };
  blocked_gemm(K, r * p, r2, fill, false, core, Lout);
}

void stack_right(const double* R, const double* Phi, int64_t K, int64_t d, int64_t p, int64_t k,
                 const double* core, int64_t r, int64_t r2, double* Rout) {
  auto fill = [&](int64_t s, double* z) {  // z = Phi[s, k] (x) R[s]
    const double* ph = Phi + (s * d + k) * p;
    for (int64_t j = 0; j < p; ++j)
      for (int64_t b = 0; b < r2; ++b) z[j * r2 + b] = ph[j] * R[s * r2 + b];
  };
  blocked_gemm(K, p * r2, r, fill, true, core, Rout);
}

bool local_normal_equations(const double* L, const double* Phi, const double* R, int64_t K, int64_t d,
                            int64_t p, int64_t k, int64_t r, int64_t r2, const double* g,
                            const double* w, const double* y, double* G, double* rhs) {
  const int64_t nc = r * p * r2, n = nc + (g ? 1 : 0);
  // Larger blocks for small n: SYRK needs enough rows per call to run near GEMM speed.
  const int64_t block = std::clamp<int64_t>(131072 / std::max<int64_t>(n, 1), kBlock, 2048);
  const int64_t nb = (K + block - 1) / block;
  const int64_t mem_cap = std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, n * n * 8));
  const int64_t nchunks = std::max<int64_t>(1, std::min({nb, kMaxChunks, mem_cap}));
  const int64_t per_chunk = (nb + nchunks - 1) / nchunks;
  std::vector<double> partG(nchunks * n * n, 0.0), partb(nchunks * n, 0.0);
  Interrupt interrupt;
  la::BlasSingleThreadScope single;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(double(K) * n * n))
#endif
  {
    std::vector<double> A(block * n), sy(block);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (int64_t c = 0; c < nchunks; ++c) {
      double* Gc = &partG[c * n * n];
      double* bc = &partb[c * n];
      for (int64_t blk = c * per_chunk; blk < std::min(nb, (c + 1) * per_chunk); ++blk) {
        if (interrupt.requested() || interrupt.poll()) break;
        const int64_t i0 = blk * block, bn = std::min(block, K - i0);
        for (int64_t i = 0; i < bn; ++i) {
          const int64_t s = i0 + i;
          const double sw = w ? std::sqrt(w[s]) : 1.0;
          const double* l = L + s * r;
          const double* ph = Phi + (s * d + k) * p;
          const double* rr = R + s * r2;
          double* a = &A[i * n];
          for (int64_t al = 0; al < r; ++al)
            for (int64_t j = 0; j < p; ++j) {
              const double f = sw * l[al] * ph[j];
              double* aa = a + (al * p + j) * r2;
              for (int64_t b = 0; b < r2; ++b) aa[b] = f * rr[b];
            }
          if (g) a[nc] = sw * g[s];
          sy[i] = sw * y[s];
        }
        la::syrk_ata(bn, n, 1.0, A.data(), n, 1.0, Gc);
        la::gemv(true, bn, n, 1.0, A.data(), n, sy.data(), 1.0, bc);
      }
    }
  }
  if (interrupt.requested()) return false;
  std::fill(G, G + n * n, 0.0);
  std::fill(rhs, rhs + n, 0.0);
  for (int64_t c = 0; c < nchunks; ++c) {  // fixed order
    for (int64_t i = 0; i < n * n; ++i) G[i] += partG[c * n * n + i];
    for (int64_t i = 0; i < n; ++i) rhs[i] += partb[c * n + i];
  }
  return true;
}

bool spd_solve(int64_t n, const double* G, const double* reg, const double* rhs, double* x, double rcond) {
  la::BlasSingleThreadScope single;  // small systems: BLAS threads only add contention
  std::vector<double> A(G, G + n * n);
  for (int64_t i = 0; i < n; ++i) A[i * n + i] += reg[i];
  std::copy(rhs, rhs + n, x);
  if (la::cholesky_solve(n, A.data(), x, 1)) {
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) finite = finite && std::isfinite(x[i]);
    if (finite) return false;
  }
  // Stable fallback: pseudo-inverse through the eigen-decomposition.
  A.assign(G, G + n * n);
  for (int64_t i = 0; i < n; ++i) A[i * n + i] += reg[i];
  std::vector<double> wv, V;
  la::symmetric_eig(n, A.data(), wv, V);
  const double wmax = n > 0 ? std::max(0.0, wv.back()) : 0.0;
  std::vector<double> c(n, 0.0);
  for (int64_t e = 0; e < n; ++e) {
    if (wv[e] <= rcond * wmax || wv[e] <= 0.0) continue;
    double s = 0.0;
    for (int64_t j = 0; j < n; ++j) s += V[e * n + j] * rhs[j];
    c[e] = s / wv[e];
  }
  for (int64_t j = 0; j < n; ++j) {
    double s = 0.0;
    for (int64_t e = 0; e < n; ++e) s += V[e * n + j] * c[e];
    x[j] = s;
  }
  return true;
}

}  // namespace ttsolve::regression
