// Test oracle: runs one quadratic chain and measures how far its incrementally kept state
// (local fields, proposal weights, f) drifted from the same quantities recomputed.
#pragma once
#include <cstdint>

#include "mcmc/quadratic_samplers.hpp"

namespace ttsolve::testing {

struct IncrementalGaps {
  double field_gap = 0.0, weight_gap = 0.0, energy_gap = 0.0;
  uint64_t accepted = 0;
};

/// n_steps of one chain of `cfg` from the 0/1 state x with stream (seed, 0).
IncrementalGaps quad_incremental_gaps(const mcmc::SpinQuadratic& m, const mcmc::SamplerConfig& cfg,
                                      const uint8_t* x, int64_t n_steps, uint64_t seed);

}  // namespace ttsolve::testing
