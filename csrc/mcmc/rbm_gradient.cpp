#include "mcmc/rbm_gradient.hpp"

#include <algorithm>
#include <cmath>

#include "common/lapack.hpp"

namespace ttsolve::mcmc {

RbmGradModel::RbmGradModel(RbmModel m) : rbm(std::move(m)), dim(rbm.dim) {
  if (rbm.WT.size() != rbm.W.size()) rbm.prepare();
}

double RbmGradModel::log_prob(const uint8_t* x) const { return rbm.log_prob(x); }

void RbmGradModel::grad(const uint8_t* x, double* g) const { value_and_grad(*this, x, g); }

double value_and_grad(const RbmGradModel& m, const uint8_t* x, double* g) {
  const RbmModel& r = m.rbm;
  const int64_t D = r.dim, H = r.n_hidden;
  thread_local std::vector<double> A, sig, sbar;
  thread_local std::vector<float> s32, g32;
  A.resize(size_t(H));
  sig.resize(size_t(H));
  sbar.resize(size_t(H));
  s32.resize(size_t(H));
  g32.resize(size_t(D));
  // A = c + sum of the columns of the sites at 1, from scratch (a function of x alone, so
  // the kernel's proposal is too), in double for f.
  r.preactivations(x, A.data());
  double f = hidden_terms(A.data(), H, sig.data(), sbar.data());
  for (int64_t i = 0; i < D; ++i)
    if (x[i]) f += r.b[i];
  // g[i, 1] = b_i + (sigmoid(A)^T W)_i: one float32 product (BLAS); it only steers the proposal.
  for (int64_t h = 0; h < H; ++h) s32[h] = float(sig[h]);
  rbm_gradient_product(r, 1, s32.data(), g32.data());
  for (int64_t i = 0; i < D; ++i) {
    g[2 * i] = 0.0;
    g[2 * i + 1] = r.b[i] + double(g32[i]);
  }
  return f;
}

}  // namespace ttsolve::mcmc
