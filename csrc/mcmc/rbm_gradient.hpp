// The RBM as a model of the gradient engine's model concept (mcmc/gradient_run.hpp): dim,
// n_states = 2, log_prob and the one-hot gradient g[i, 0] = 0, g[i, 1] = b_i + sum_h W_hi
// sigmoid(A_h), A = c + W x, so that g[i, 1] - g[i, 0] is the binary gradient of f, with g
// through one float32 product sigmoid(A)^T W as the batched engine computes it
// (mcmc/rbm_gradient_run.hpp, which runs every gradient kind on RBMs). Used per state by the
// transition-matrix oracle (testing/gradient_transitions.hpp) on tiny RBMs.
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/rbm_model.hpp"

namespace ttsolve::mcmc {

struct RbmGradModel {
  RbmModel rbm;  // prepared (WT filled)
  int64_t dim = 0, n_states = 2;

  explicit RbmGradModel(RbmModel m = {});
  double log_prob(const uint8_t* x) const;
  void grad(const uint8_t* x, double* g) const;
};

/// f(x) and the one-hot gradient table g (D x 2) from one evaluation of A.
double value_and_grad(const RbmGradModel& m, const uint8_t* x, double* g);

}  // namespace ttsolve::mcmc
