// TT rounding (Oseledets 2011, Alg. 2): right-orthogonalise, then sweep left to right
// with truncated SVDs. Each of the d-1 truncations discards at most delta = eps ||x|| /
// sqrt(d-1) in Frobenius norm, and the errors of an orthogonal sweep add in squares, so
// ||x - round(x)||_F <= eps ||x||_F whenever max_rank does not bind.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {

int64_t truncation_rank(const std::vector<double>& s, double delta, int64_t max_rank) {
  const int64_t k = static_cast<int64_t>(s.size());
  // Walk from the smallest singular value, discarding while the tail stays within delta.
  const double budget = delta * delta;
  double tail = 0.0;
  int64_t r = k;
  while (r > 1 && tail + s[r - 1] * s[r - 1] <= budget) {
    tail += s[r - 1] * s[r - 1];
    --r;
  }
  if (max_rank > 0) r = std::min(r, max_rank);
  return std::max<int64_t>(r, 1);
}

/// Spreads 2^exp2 over all cores (small exact powers of two per core).
static void distribute_pow2(TensorTrain& t, int64_t exp2) {
  const int64_t d = t.ndim();
  const int64_t base = exp2 / d, extra = exp2 % d;  // extra has the sign of exp2
  for (int64_t k = 0; k < d; ++k) scale_core_pow2(t, k, base + (k < std::abs(extra) ? (extra > 0 ? 1 : -1) : 0));
}

TensorTrain round(const TensorTrain& x, double eps, int64_t max_rank, Interrupt* intr) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  const int64_t d = x.ndim();
  ScaledTrain st = orthogonalize_scaled(x, 0, intr);
  TensorTrain& t = st.tt;
  double nrm2 = 0.0;
  for (double v : t.cores[0]) nrm2 += v * v;
  if (nrm2 == 0.0) return constant(x.dims, 0.0);
  const double delta = d > 1 ? eps * std::sqrt(nrm2) / std::sqrt(double(d - 1)) : 0.0;
  std::vector<double> U, s, Vt, next;
  for (int64_t k = 0; k + 1 < d; ++k) {
    const int64_t r0 = t.ranks[k], n = t.dims[k], r1 = t.ranks[k + 1];
    const int64_t n2 = t.dims[k + 1], r2 = t.ranks[k + 2];
    la::svd(r0 * n, r1, t.cores[k].data(), U, s, Vt);
    const int64_t kk = static_cast<int64_t>(s.size());
    const int64_t r = truncation_rank(s, delta, max_rank);
    // Core k = U[:, :r]; core k+1 = diag(s[:r]) Vt[:r] core_{k+1}.
    std::vector<double> core(r0 * n * r);
    for (int64_t i = 0; i < r0 * n; ++i)
      for (int64_t j = 0; j < r; ++j) core[i * r + j] = U[i * kk + j];
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r1; ++j) Vt[i * r1 + j] *= s[i];
    next.resize(r * n2 * r2);
    la::gemm(false, false, r, n2 * r2, r1, 1.0, Vt.data(), r1, t.cores[k + 1].data(), n2 * r2, 0.0,
             next.data(), n2 * r2);
    t.cores[k].swap(core);
    t.cores[k + 1].swap(next);
    t.ranks[k + 1] = r;
    if (intr && intr->poll()) throw Interrupted();
  }
  distribute_pow2(t, st.exp2);
  return std::move(t);
}

}  // namespace ttsolve::tt
