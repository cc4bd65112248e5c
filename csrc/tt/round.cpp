// TT rounding (Oseledets 2011, Alg. 2): left-orthogonalise, then sweep right to left with
// truncated SVDs. Each of the d-1 truncations discards at most delta = eps ||x|| /
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

void truncate_right_to_left(ScaledTrain& st, double eps, int64_t max_rank, Interrupt* intr) {
  TensorTrain& t = st.tt;
  const int64_t d = t.ndim();
  double nrm2 = 0.0;
  for (double v : t.cores[d - 1]) nrm2 += v * v;
  if (nrm2 == 0.0) {
    st.tt = constant(t.dims, 0.0);
    st.exp2 = 0;
    return;
  }
  const double delta = d > 1 ? eps * std::sqrt(nrm2) / std::sqrt(double(d - 1)) : 0.0;
  std::vector<double> U, s, Vt, prev;
  for (int64_t k = d - 1; k > 0; --k) {
    const int64_t r0 = t.ranks[k], cols = t.dims[k] * t.ranks[k + 1];
    const int64_t rows_prev = t.ranks[k - 1] * t.dims[k - 1];
    la::svd(r0, cols, t.cores[k].data(), U, s, Vt);
    const int64_t kk = static_cast<int64_t>(s.size());
    const int64_t r = truncation_rank(s, delta, max_rank);
    // Core k = Vt[:r]; core k-1 = core_{k-1} U[:, :r] diag(s[:r]).
    Vt.resize(r * cols);
    for (int64_t i = 0; i < r0; ++i)
      for (int64_t j = 0; j < r; ++j) U[i * kk + j] *= s[j];
    prev.resize(rows_prev * r);
    la::gemm(false, false, rows_prev, r, r0, 1.0, t.cores[k - 1].data(), r0, U.data(), kk, 0.0, prev.data(), r);
    t.cores[k].swap(Vt);
    t.cores[k - 1].swap(prev);
    t.ranks[k] = r;
    check_interrupt(intr);
  }
}

TensorTrain round(const TensorTrain& x, double eps, int64_t max_rank, Interrupt* intr) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  ScaledTrain st = orthogonalize_scaled(x, x.ndim() - 1, intr);
  truncate_right_to_left(st, eps, max_rank, intr);
  distribute_pow2(st.tt, st.exp2);
  return std::move(st.tt);
}

}  // namespace ttsolve::tt
