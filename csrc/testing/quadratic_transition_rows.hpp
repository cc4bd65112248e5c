// Test oracle: the exact one-step transition row T(x, .) of each quadratic kernel, built
// from the kernel's own proposal and acceptance probabilities (tests check pi T = pi).
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/quadratic_samplers.hpp"

namespace ttsolve::testing {

/// T(x, .) from the 0/1 state x (dim <= 20); state index = sum_i x_i 2^(D-1-i). For the
/// systematic-scan kinds, `site` selects the single-site kernel (the scan composes them; block
/// Gibbs: `site` is the block index).
std::vector<double> quad_transition_row(const mcmc::SpinQuadratic& m, const mcmc::SamplerConfig& cfg,
                                        const uint8_t* x01, int64_t site);

}  // namespace ttsolve::testing
