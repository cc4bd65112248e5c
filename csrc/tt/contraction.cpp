// Full contractions of tensor trains: inner product, sum of entries, dense tensor.
//
// Products over many cores overflow or underflow doubles (1000 cores of norm 10 give
// 1e1000), so the running contraction is rescaled by an exact power of two after every
// core and the exponents are accumulated separately.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/lapack.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

ScaledValue finish(double v, int64_t exp2) {
  ScaledValue out;
  if (v == 0.0) {
    out.log_abs = -INFINITY;
    return out;
  }
  out.sign = v > 0 ? 1.0 : -1.0;
  out.log_abs = std::log(std::fabs(v)) + double(exp2) * kLn2;
  return out;
}

}  // namespace

ScaledValue dot(const TensorTrain& x, const TensorTrain& y) {
  check_same_dims(x, y, "dot");
  // M (rx_k x ry_k) = contraction of the first k cores of x and y.
  std::vector<double> M(1, 1.0), T;
  int64_t exp2 = 0;
  for (int64_t k = 0; k < x.ndim(); ++k) {
    const int64_t n = x.dims[k], rx0 = x.ranks[k], rx1 = x.ranks[k + 1], ry0 = y.ranks[k],
                  ry1 = y.ranks[k + 1];
    // T (rx0 x n*ry1) = M Y_k; then M' (rx1 x ry1) = X_k^T T over the rows (rx0*n).
    T.resize(rx0 * n * ry1);
    la::gemm(false, false, rx0, n * ry1, ry0, 1.0, M.data(), ry0, y.cores[k].data(), n * ry1, 0.0,
             T.data(), n * ry1);
    M.assign(rx1 * ry1, 0.0);
    la::gemm(true, false, rx1, ry1, rx0 * n, 1.0, x.cores[k].data(), rx1, T.data(), ry1, 0.0, M.data(),
             ry1);
    if (!rescale_pow2(M, exp2)) return finish(0.0, 0);
  }
  return finish(M[0], exp2);
}

ScaledValue sum(const TensorTrain& x) {
  std::vector<double> v(1, 1.0), S, w;
  int64_t exp2 = 0;
  for (int64_t k = 0; k < x.ndim(); ++k) {
    const int64_t n = x.dims[k], r0 = x.ranks[k], r1 = x.ranks[k + 1];
    // S (r0 x r1) = sum over the mode index of core k.
    S.assign(r0 * r1, 0.0);
    const double* c = x.cores[k].data();
    for (int64_t a = 0; a < r0; ++a)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t b = 0; b < r1; ++b) S[a * r1 + b] += c[(a * n + i) * r1 + b];
    w.assign(r1, 0.0);
    la::gemv(true, r0, r1, 1.0, S.data(), r1, v.data(), 0.0, w.data());
    v.swap(w);
    if (!rescale_pow2(v, exp2)) return finish(0.0, 0);
  }
  return finish(v[0], exp2);
}

std::vector<double> full(const TensorTrain& x, int64_t max_entries) {
  // A (rows x r_k) holds the first k cores unfolded; rows = n_0 ... n_{k-1}.
  std::vector<double> A(1, 1.0), B;
  int64_t rows = 1;
  for (int64_t k = 0; k < x.ndim(); ++k) {
    const int64_t n = x.dims[k], r0 = x.ranks[k], r1 = x.ranks[k + 1];
    if (double(rows) * double(n) * double(r1) > double(max_entries))
      throw std::length_error("full(): the dense tensor (or an intermediate unfolding) would exceed " +
                              std::to_string(max_entries) + " entries");
    B.resize(rows * n * r1);
    la::gemm(false, false, rows, n * r1, r0, 1.0, A.data(), r0, x.cores[k].data(), n * r1, 0.0, B.data(),
             n * r1);
    A.swap(B);
    rows *= n;
  }
  for (double v : A)
    if (!std::isfinite(v)) throw std::overflow_error("full(): the dense tensor has entries beyond float64 range");
  return A;
}

}  // namespace ttsolve::tt
