// Models of the gradient engine (mcmc/gradient_run.hpp). Any type with
//   int64_t dim, n_states;
//   double log_prob(const uint8_t* x) const;   // f(x), x holds dim states in 0..n_states-1
//   void grad(const uint8_t* x, double* g) const;  // g (dim x n_states) one-hot gradient
// works; value_and_grad() is the one call the engine makes per proposed state, and a model
// may overload it when f comes cheaply with the gradient (PairwiseModel below).
#pragma once
#include <cstddef>
#include <cstdint>

#include "mcmc/pairwise_model.hpp"
#include "mcmc/quadratic_model.hpp"

namespace ttsolve::mcmc {

/// f(x), and the gradient table into g.
template <class Model>
double value_and_grad(const Model& m, const uint8_t* x, double* g) {
  m.grad(x, g);
  return m.log_prob(x);
}

/// PairwiseModel: f = 1/2 sum_i (b[i, x_i] + g[i, x_i]) from the gradient, one pass.
double value_and_grad(const PairwiseModel& m, const uint8_t* x, double* g);

/// The K = 2 pairwise model with exactly the same f as the spin form s^T W s + h . s
/// (s = 2x - 1): J_ij[a, b] = 2 W_ij s(a) s(b), b[i, a] = h_i s(a), s(a) = 2a - 1.
PairwiseModel pairwise_from_spin(const SpinQuadratic& q);

}  // namespace ttsolve::mcmc
