// Test oracle: the exact one-step transition row T(x, .) of each single-site RBM kernel,
// built from the kernel's own flip differences (mcmc/rbm_model.hpp), balancing weights and
// acceptance rules (tests check pi T = pi and compare with tests/reference).
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/kinds.hpp"
#include "mcmc/rbm_model.hpp"

namespace ttsolve::testing {

/// T(x, .) from the 0/1 state x (dim <= 16); state index = sum_i x_i 2^(D-1-i). For the
/// systematic-scan kinds `site` selects the single-site kernel (block_gibbs_systematic: the
/// block index); block_size is hamming_ball's and block_gibbs's.
std::vector<double> rbm_transition_row(const mcmc::RbmModel& m, mcmc::Kind kind, int64_t block_size,
                                       const uint8_t* x, int64_t site);

}  // namespace ttsolve::testing
