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
#include "regression/scratch.hpp"
#include "regression/simd.hpp"
#include "regression/stack_product.hpp"
#include "regression/triple_product.hpp"

namespace ttsolve::regression {
namespace {

constexpr int64_t kBlock = 256;        // samples per design block
constexpr int64_t kMaxChunks = 16;     // partial Grams, fixed => same sums for any thread count
constexpr int64_t kChunkBytes = int64_t(1) << 28;

int64_t num_blocks(int64_t K) { return (K + kBlock - 1) / kBlock; }

// Threads for a region of `flops` work: waking a team costs more than small kernels on a
// busy machine (and results do not depend on the thread count anyway).
int threads_for(double flops) { return flops < 2e7 ? 1 : ttsolve::get_num_threads(); }

// spd_solve: a Cholesky pivot^2 below this times the largest diagonal entry counts as a
// rank-deficient Gram (condition number >~ 1e10) and goes to the truncated eigen solve.
constexpr double kPivotRatio = 1e-10;

double la_dot(int64_t n, const double* a, const double* b) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

namespace {

// out (K x ncols) = Z B where row i of Z (length m) is written by fill(i, z): one GEMM per
// block of samples. B is (m x ncols), or (ncols x m) when trans_b.
template <class Fill>
void blocked_gemm(int64_t K, int64_t m, int64_t ncols, Fill fill, bool trans_b, const double* B, double* out) {
  const int64_t nb = num_blocks(K);
  la::BlasSingleThreadScope single;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(32.0 * K * m * ncols))
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
  if (simd_enabled()) return stack_product(L, r, Phi + k * p, d * p, p, core, r2, K, Lout);
  auto fill = [&](int64_t s, double* z) {  // z = L[s] (x) Phi[s, k]
    const double* ph = Phi + (s * d + k) * p;
    for (int64_t a = 0; a < r; ++a)
      for (int64_t j = 0; j < p; ++j) z[a * p + j] = L[s * r + a] * ph[j];
  };
  blocked_gemm(K, r * p, r2, fill, false, core, Lout);
}

void stack_right(const double* R, const double* Phi, int64_t K, int64_t d, int64_t p, int64_t k,
                 const double* core, int64_t r, int64_t r2, double* Rout) {
  if (simd_enabled()) {  // the core with its rank indices swapped, (r2 x p x r), as C
    std::vector<double> swapped(r * p * r2);
    for (int64_t a = 0; a < r; ++a)
      for (int64_t j = 0; j < p; ++j)
        for (int64_t b = 0; b < r2; ++b) swapped[(b * p + j) * r + a] = core[(a * p + j) * r2 + b];
    return stack_product(R, r2, Phi + k * p, d * p, p, swapped.data(), r, K, Rout);
  }
  auto fill = [&](int64_t s, double* z) {  // z = Phi[s, k] (x) R[s]
    const double* ph = Phi + (s * d + k) * p;
    for (int64_t j = 0; j < p; ++j)
      for (int64_t b = 0; b < r2; ++b) z[j * r2 + b] = ph[j] * R[s * r2 + b];
  };
  blocked_gemm(K, p * r2, r, fill, true, core, Rout);
}

namespace {

// Symmetric pair index of (i, j) among the n(n+1)/2 pairs i <= j.
struct PairIndex {
  int64_t n, count;
  std::vector<int64_t> idx;  // n x n
  explicit PairIndex(int64_t n_) : n(n_), count(n_ * (n_ + 1) / 2), idx(n_ * n_) {
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i; j < n; ++j) idx[i * n + j] = idx[j * n + i] = c++;
  }
};


// out row pair(i, j) (i <= j) = x_i * x_j (* scale) elementwise over the bn samples of a
// sample-major block X (n x bn).
void pair_products(const double* X, int64_t n, int64_t bn, const double* scale, double* out) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) {
      const double* xi = X + i * bn;
      const double* xj = X + j * bn;
      if (scale)
        for (int64_t s = 0; s < bn; ++s) out[s] = scale[s] * xi[s] * xj[s];
      else
        for (int64_t s = 0; s < bn; ++s) out[s] = xi[s] * xj[s];
      out += bn;
    }
}

// out row (a * ny + b) = x_a * y_b elementwise over the bn samples of sample-major blocks
// X (nx x bn) and Y (ny x bn): the row-wise Kronecker product of the two blocks.
void kron_rows(const double* X, int64_t nx, const double* Y, int64_t ny, int64_t bn, double* out) {
  for (int64_t a = 0; a < nx; ++a)
    for (int64_t b = 0; b < ny; ++b) {
      const double* xa = X + a * bn;
      const double* yb = Y + b * bn;
      double* o = out + (a * ny + b) * bn;
      for (int64_t s = 0; s < bn; ++s) o[s] = xa[s] * yb[s];
    }
}

}  // namespace

void local_normal_equations(const double* L, const double* Phi, const double* R, int64_t K, int64_t d,
                            int64_t p, int64_t k, int64_t r, int64_t r2, const double* g,
                            const double* w, const double* y, double* G, double* rhs, const double* Psi,
                            int64_t q, const double* Ck, Interrupt* intr) {
  // The design row is kron(l, phi, rho), so every Gram entry is a sum over samples of
  // (l_a l_a') (phi_j phi_j') (rho_b rho_b'): only the symmetric pair products of each factor
  // are distinct. We accumulate T[A, J, B] = sum_s u_s[A] v_s[J] w_s[B] over the pair indices
  // with one GEMM per sample block (inner dimension = block size), which needs about
  // 8 / ((1 + 1/r)(1 + 1/p)(1 + 1/r2)) times fewer flops than a SYRK of the full design rows
  // and never materialises them; the Gram is then unpacked from T.
  const int64_t nc = r * p * r2, n = nc + (g ? 1 : 0);
  const PairIndex pa(r), pj(p), pb(r2);
  if (Psi && (q < 1 || !Ck)) throw std::invalid_argument("compressed Gram needs q >= 1 and its coefficients");
  // SJ: functions of x_k summed over (the p(p+1)/2 basis products, or q product-basis functions)
  const int64_t SA = pa.count, SJ = Psi ? q : pj.count, SB = pb.count, SAJ = SA * SJ, m1 = r * p;
  const int64_t ny = g ? 2 : 1;  // right-hand side columns: y (and g for the extra term)
  // With the SIMD kernel the factor rows of a block stay in L2 and a 6-row tile of Wt in L1;
  // the BLAS path sizes blocks by its Kronecker buffer UVt.
  const bool simd = simd_enabled();
  const int64_t block = simd ? 256 : std::clamp<int64_t>(32768 / std::max<int64_t>(SAJ, 1), 128, 1024);
  const int64_t nb = (K + block - 1) / block;
  const int64_t tsize = SAJ * SB + m1 * ny * r2 + 3;  // T, B1^T [y rho, g rho], (g g, g y, -)
  const int64_t mem_cap = std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, tsize * 8));
  const int64_t nchunks = std::max<int64_t>(1, std::min({nb, kMaxChunks, mem_cap}));
  const int64_t per_chunk = (nb + nchunks - 1) / nchunks;
  const Scratch part_buf(0, nchunks * tsize);
  double* part = part_buf.data();
  const int64_t SP = pj.count;
  const Scratch expanded(2, Psi ? SA * SP * SB : 0);
  bool stop = false;
  la::BlasSingleThreadScope single;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(8.0 * K * SAJ * SB))
#endif
  {
    // Sample-major ("transposed") buffers: every fill loop runs over the samples of the block,
    // contiguous and vectorisable. Ut (SA x bn), Vt (SJ x bn), Wt (SB x bn), UVt (SAJ x bn).
    const int64_t kron_rows_uv = simd ? 0 : SAJ, kron_rows_b1 = simd ? 0 : m1;  // GEMM path only
    const int64_t sizes[] = {SA, SJ, SB, kron_rows_uv, r, p, r2, 1, kron_rows_b1, ny * r2};
    int64_t total = 0;
    for (int64_t sz : sizes) total += sz * block;
    const Scratch buf(1, total);
    double* next = buf.data();
    auto take = [&](int64_t rows) { double* out = next; next += rows * block; return out; };
    double *Ut = take(SA), *Vt = take(SJ), *Wt = take(SB), *UVt = take(kron_rows_uv), *Lt = take(r), *Pt = take(p),
           *Rt = take(r2), *sw = take(1), *B1t = take(kron_rows_b1), *Yt = take(ny * r2);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (int64_t c = 0; c < nchunks; ++c) {
      double* T = part + c * tsize;
      std::fill(T, T + tsize, 0.0);
      double* T2 = T + SAJ * SB;
      double* scal = T2 + m1 * ny * r2;
      for (int64_t blk = c * per_chunk; blk < std::min(nb, (c + 1) * per_chunk); ++blk) {
        if (intr && intr->poll()) break;
        const int64_t i0 = blk * block, bn = std::min(block, K - i0);
        for (int64_t i = 0; i < bn; ++i) {  // gather this block's factors, sample-major
          const int64_t s = i0 + i;
          for (int64_t a = 0; a < r; ++a) Lt[a * bn + i] = L[s * r + a];
          for (int64_t j = 0; j < p; ++j) Pt[j * bn + i] = Phi[(s * d + k) * p + j];
          for (int64_t b = 0; b < r2; ++b) Rt[b * bn + i] = R[s * r2 + b];
          sw[i] = w ? w[s] : 1.0;
        }
        pair_products(Lt, r, bn, nullptr, Ut);
        if (Psi) {
          for (int64_t i = 0; i < bn; ++i) {
            const double* ps = Psi + ((i0 + i) * d + k) * q;
            for (int64_t m = 0; m < q; ++m) Vt[m * bn + i] = ps[m];
          }
        } else {
          pair_products(Pt, p, bn, nullptr, Vt);
        }
        pair_products(Rt, r2, bn, sw, Wt);
        for (int64_t b = 0; b < r2; ++b) {
          const double* rb = &Rt[b * bn];
          double* yb = &Yt[b * bn];
          double* gb = g ? &Yt[(r2 + b) * bn] : nullptr;
          for (int64_t i = 0; i < bn; ++i) {
            const double f = sw[i] * rb[i];
            yb[i] = f * y[i0 + i];
            if (gb) gb[i] = f * g[i0 + i];
          }
        }
        if (g)
          for (int64_t i = 0; i < bn; ++i) {
            scal[0] += sw[i] * g[i0 + i] * g[i0 + i];
            scal[1] += sw[i] * g[i0 + i] * y[i0 + i];
          }
        if (simd) {
          triple_product_sum(Ut, SA, Vt, SJ, Wt, SB, bn, bn, T);
          triple_product_sum(Lt, r, Pt, p, Yt, ny * r2, bn, bn, T2);
        } else {
          kron_rows(Ut, SA, Vt, SJ, bn, UVt);
          kron_rows(Lt, r, Pt, p, bn, B1t);
          la::gemm(false, true, SAJ, SB, bn, 1.0, UVt, bn, Wt, bn, 1.0, T, SB);
          la::gemm(false, true, m1, ny * r2, bn, 1.0, B1t, bn, Yt, bn, 1.0, T2, ny * r2);
        }
      }
    }
    // The rest runs on the same threads (serially it was a fifth of a Gram at K ~ 2000):
    // each step works on disjoint entries, so the results do not depend on the thread count.
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp single
#endif
    stop = intr && intr->requested();  // the same value for every thread after the barrier
    if (!stop) {
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
      for (int64_t i = 0; i < tsize; ++i)  // chunk partials, summed in chunk order
        for (int64_t c = 1; c < nchunks; ++c) part[i] += part[c * tsize + i];
      if (Psi) {  // back to basis-product sums: T[A] (pairs x SB) = Ck (pairs x q) T'[A] (q x SB)
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t A = 0; A < SA; ++A)
          la::gemm(false, false, SP, SB, q, 1.0, Ck, q, part + A * SJ * SB, SB, 0.0, &expanded[A * SP * SB], SB);
      }
      const double* T = Psi ? expanded.data() : part;  // pair index stride SP from here on
      const double* T2 = part + SAJ * SB;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
      for (int64_t row = 0; row < nc; ++row) {  // row = (a p + j) r2 + b
        const int64_t a = row / (p * r2), j = (row / r2) % p, b = row % r2;
        for (int64_t a2 = 0; a2 < r; ++a2) {
          const int64_t A = pa.idx[a * r + a2];
          for (int64_t j2 = 0; j2 < p; ++j2) {
            const double* t = T + (A * SP + pj.idx[j * p + j2]) * SB;
            double* Grow = G + row * n + (a2 * p + j2) * r2;
            for (int64_t b2 = 0; b2 < r2; ++b2) Grow[b2] = t[pb.idx[b * r2 + b2]];
          }
        }
        rhs[row] = T2[(a * p + j) * ny * r2 + b];
        if (g) G[row * n + nc] = G[nc * n + row] = T2[(a * p + j) * ny * r2 + r2 + b];
      }
    }
  }
  if (stop) throw Interrupted();  // outside the parallel region
  const double* scal = part + SAJ * SB + m1 * ny * r2;
  if (g) {
    G[nc * n + nc] = scal[0];
    rhs[nc] = scal[1];
  }
}

bool spd_solve(int64_t n, const double* G, const double* reg, const double* rhs, double* x, double rcond) {
  la::BlasSingleThreadScope single;  // small systems: BLAS threads only add contention
  const Scratch A(5, n * n);
  std::copy(G, G + n * n, A.data());
  double diag_max = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    A[i * n + i] += reg[i];
    diag_max = std::max(diag_max, A[i * n + i]);
  }
  std::copy(rhs, rhs + n, x);
  if (la::cholesky_solve(n, A.data(), x, 1)) {
    // The factor's pivots bound the smallest eigenvalue from above (lambda_min <= min L_ii^2):
    // a tiny pivot means a (numerically) rank-deficient Gram, where Cholesky's solution puts
    // rounding-amplified coefficients into the near-null directions. Those go to the
    // pseudo-inverse below (the minimum-norm solution, which fits as well and does not bias
    // an exact fit); well-conditioned problems keep the cheap Cholesky solve.
    double pivot_min = n > 0 ? A[0] : 0.0;
    for (int64_t i = 1; i < n; ++i) pivot_min = std::min(pivot_min, A[i * n + i]);
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) finite = finite && std::isfinite(x[i]);
    if (finite && pivot_min * pivot_min > kPivotRatio * diag_max) return false;
  }
  // Truncated solve: pseudo-inverse through the eigen-decomposition, eigenvalues below
  // rcond * max dropped.
  std::copy(G, G + n * n, A.data());
  for (int64_t i = 0; i < n; ++i) A[i * n + i] += reg[i];
  std::vector<double> wv, V;
  la::symmetric_eig(n, A.data(), wv, V);
  const double wmax = n > 0 ? std::max(0.0, wv.back()) : 0.0;
  std::vector<double> c(n, 0.0);
  for (int64_t e = 0; e < n; ++e) {
    if (wv[e] <= rcond * wmax || wv[e] <= 0.0) continue;
    c[e] = la_dot(n, &V[e * n], rhs) / wv[e];
  }
  std::fill(x, x + n, 0.0);
  for (int64_t e = 0; e < n; ++e)
    if (c[e] != 0.0)
      for (int64_t j = 0; j < n; ++j) x[j] += V[e * n + j] * c[e];
  return true;
}

bool local_solve(const double* L, const double* Phi, const double* R, int64_t K, int64_t d, int64_t p,
                 int64_t k, int64_t r, int64_t r2, const double* g, const double* w, const double* y,
                 const double* Psi, int64_t q, const double* Ck, const double* penalty, const double* reg,
                 double* x, Interrupt* intr) {
  const int64_t nc = r * p * r2, n = nc + (g ? 1 : 0);
  const Scratch G(3, n * n), rhs(4, n);
  local_normal_equations(L, Phi, R, K, d, p, k, r, r2, g, w, y, G.data(), rhs.data(), Psi, q, Ck, intr);
  if (penalty)
    for (int64_t i = 0; i < nc; ++i)
      for (int64_t j = 0; j < nc; ++j) G[i * n + j] += penalty[i * nc + j];
  return spd_solve(n, G.data(), reg, rhs.data(), x);
}

}  // namespace ttsolve::regression
