// TT-SVD (Oseledets 2011, Alg. 1): successive truncated SVDs of the unfoldings of a dense
// tensor, with the error budget eps ||a||_F / sqrt(d-1) per SVD as in round().
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {

TensorTrain tt_svd(const double* a, const std::vector<int64_t>& dims, double eps, int64_t max_rank,
                   Interrupt* intr) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  const int64_t d = static_cast<int64_t>(dims.size());
  check_shape(dims, std::vector<int64_t>(d + 1, 1));
  int64_t total = 1;
  for (int64_t n : dims) total *= n;
  double nrm2 = 0.0;
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(a[i])) throw std::invalid_argument("the dense tensor contains NaN or inf");
    nrm2 += a[i] * a[i];
  }
  const double delta = d > 1 ? eps * std::sqrt(nrm2) / std::sqrt(double(d - 1)) : 0.0;
  TensorTrain t;
  t.dims = dims;
  t.ranks.assign(1, 1);
  // C (r_k n_k x rest) is what remains to be decomposed.
  std::vector<double> C(a, a + total), U, s, Vt;
  int64_t rest = total;
  for (int64_t k = 0; k + 1 < d; ++k) {
    const int64_t rows = t.ranks[k] * dims[k];
    rest /= dims[k];
    la::svd(rows, rest, C.data(), U, s, Vt);
    const int64_t kk = static_cast<int64_t>(s.size());
    const int64_t r = truncation_rank(s, delta, max_rank);
    std::vector<double> core(rows * r);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < r; ++j) core[i * r + j] = U[i * kk + j];
    t.cores.push_back(std::move(core));
    t.ranks.push_back(r);
    C.assign(Vt.begin(), Vt.begin() + r * rest);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < rest; ++j) C[i * rest + j] *= s[i];
    check_interrupt(intr);
  }
  t.cores.push_back(std::move(C));
  t.ranks.push_back(1);
  return t;
}

}  // namespace ttsolve::tt
