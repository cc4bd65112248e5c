// Test oracle: the full one-step transition matrix T(x -> x') of a gradient kernel on a tiny
// model, from the kernel's own proposal tables (mcmc/gradient_kernels.hpp) and its MH
// acceptance; tests check pi T = pi and compare with tests/reference/discrete_kernels.py.
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/gradient_kernels.hpp"
#include "mcmc/pairwise_model.hpp"
#include "mcmc/rbm_gradient.hpp"

namespace ttsolve::testing {

/// f(X) = vec(X)^T A vec(X) / 2 + b . vec(X) on one-hot X (D x K), A symmetric (D K x D K)
/// with within-site blocks allowed: the gradient difference is then only a first-order
/// estimate of the change of f (the reference's quadratic_onehot).
struct OnehotQuadratic {
  int64_t dim = 0, n_states = 0;
  std::vector<double> A, b;
  double log_prob(const uint8_t* x) const;
  void grad(const uint8_t* x, double* g) const;
};

/// T (N x N, N = K^D <= 4096, row-major; state index with site 0 most significant) of the
/// configured kernel with its scale fixed (no adaptation).
std::vector<double> gradient_transition_matrix(const mcmc::PairwiseModel& m, const mcmc::GradientConfig& cfg);
std::vector<double> gradient_transition_matrix(const OnehotQuadratic& m, const mcmc::GradientConfig& cfg);
std::vector<double> gradient_transition_matrix(const mcmc::RbmGradModel& m, const mcmc::GradientConfig& cfg);

}  // namespace ttsolve::testing
