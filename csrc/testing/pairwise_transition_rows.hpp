// Test oracle: the exact one-step transition row T(x, .) of each pairwise (categorical)
// kernel, built from the kernel's own step parts (pair_try_move / pair_undo_move for the
// proposal kinds, pair_site_conditional, pair_ball_log_weights) on a chain started at x.
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/pairwise_samplers.hpp"

namespace ttsolve::testing {

/// T(x, .) over the K^D states (K^D <= 2^20), state index = sum_i x_i K^(D-1-i) (site 0
/// most significant, as tests/reference/discrete_models.all_states). For the
/// systematic-scan kinds, `site` selects the single-site kernel (the scan composes them; block
/// Gibbs: `site` is the block index).
std::vector<double> pair_transition_row(const mcmc::PairwiseModel& m, const mcmc::SamplerConfig& cfg,
                                        const uint8_t* x, int64_t site);

}  // namespace ttsolve::testing
