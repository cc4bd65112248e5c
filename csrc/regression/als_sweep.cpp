// One full fixed-rank ALS sweep (left-to-right, then right-to-left) in a single call: local
// solves, QR re-orthogonalisation of the cores and stack updates, with no Python per core.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "common/lapack.hpp"
#include "regression/regression.hpp"

namespace ttsolve::regression {

int als_sweep(const SweepProblem& P, std::vector<double*>& cores, std::vector<double*>& R, double* extra_coef,
              double* fvals, Interrupt* intr) {
  const int64_t K = P.K, d = P.d, p = P.p;
  const std::vector<int64_t>& rk = P.ranks;
  if (d < 2) throw std::invalid_argument("als_sweep needs d >= 2");
  if (static_cast<int64_t>(cores.size()) != d || static_cast<int64_t>(R.size()) != d + 1 ||
      static_cast<int64_t>(rk.size()) != d + 1)
    throw std::invalid_argument("als_sweep: inconsistent numbers of cores, stacks or ranks");
  const std::vector<double> ones_buf(K, 1.0);  // L[0] and R[d]
  const double* ones = ones_buf.data();
  std::vector<std::vector<double>> L(d);
  int fallbacks = 0;
  std::vector<double> x, Q, Rm, tmp;

  auto phi = [&](int64_t k) { return P.PhiT + k * K * p; };
  auto psi = [&](int64_t k) { return P.PsiT ? P.PsiT + k * K * P.q : nullptr; };
  auto ck = [&](int64_t k) { return P.C ? P.C + k * P.SP * P.q : nullptr; };
  auto left = [&](int64_t k) { return k == 0 ? ones : L[k].data(); };
  auto right = [&](int64_t k) { return k == d ? ones : R[k]; };
  auto solve = [&](int64_t k) {  // core k (and the extra coefficient) from the local problem
    const int64_t nc = rk[k] * p * rk[k + 1], n = nc + (P.g ? 1 : 0);
    std::vector<double> reg(n, P.ridge);
    if (P.g) reg[nc] = 0.0;  // the additive term's coefficient is not penalised
    x.resize(n);
    fallbacks += local_solve(left(k), phi(k), right(k + 1), K, 1, p, 0, rk[k], rk[k + 1], P.g, P.w, P.y, psi(k),
                             P.q, ck(k), nullptr, reg.data(), x.data(), intr);
    std::copy(x.begin(), x.begin() + nc, cores[k]);
    if (P.g) *extra_coef = x[nc];
  };

  for (int64_t k = 0; k + 1 < d; ++k) {
    solve(k);
    const int64_t r = rk[k], r2 = rk[k + 1], r3 = rk[k + 2];
    la::qr(r * p, r2, cores[k], Q, Rm);  // core k = Q Rm, Q left-orthogonal (r2 <= r p)
    std::copy(Q.begin(), Q.end(), cores[k]);
    tmp.assign(r2 * p * r3, 0.0);
    la::gemm(false, false, r2, p * r3, r2, 1.0, Rm.data(), r2, cores[k + 1], p * r3, 0.0, tmp.data(), p * r3);
    std::copy(tmp.begin(), tmp.end(), cores[k + 1]);
    L[k + 1].resize(K * r2);
    stack_left(left(k), phi(k), K, 1, p, 0, cores[k], r, r2, L[k + 1].data());
  }
  for (int64_t k = d - 1; k > 0; --k) {
    solve(k);
    const int64_t r0 = rk[k - 1], r = rk[k], r2 = rk[k + 1];
    // core k^T (p r2 x r) = Q Rm: core k = Q^T right-orthogonal, core k-1 <- core k-1 Rm^T
    tmp.resize(p * r2 * r);
    for (int64_t a = 0; a < r; ++a)
      for (int64_t c = 0; c < p * r2; ++c) tmp[c * r + a] = cores[k][a * p * r2 + c];
    la::qr(p * r2, r, tmp.data(), Q, Rm);
    for (int64_t a = 0; a < r; ++a)
      for (int64_t c = 0; c < p * r2; ++c) cores[k][a * p * r2 + c] = Q[c * r + a];
    tmp.assign(r0 * p * r, 0.0);
    la::gemm(false, true, r0 * p, r, r, 1.0, cores[k - 1], r, Rm.data(), r, 0.0, tmp.data(), r);
    std::copy(tmp.begin(), tmp.end(), cores[k - 1]);
    stack_right(right(k + 1), phi(k), K, 1, p, 0, cores[k], r, r2, R[k]);
  }
  // training values from the stacks: f = Phi_0 core_0 R[1] (+ c g)
  stack_right(right(1), phi(0), K, 1, p, 0, cores[0], 1, rk[1], fvals);
  if (P.g)
    for (int64_t i = 0; i < K; ++i) fvals[i] += *extra_coef * P.g[i];
  return fallbacks;
}

}  // namespace ttsolve::regression
