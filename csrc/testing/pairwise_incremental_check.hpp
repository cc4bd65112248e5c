// Test oracle: runs one pairwise chain and measures how far its incrementally kept state
// (gradient table, tree leaves, f, the counts-free running records) drifted from the same
// quantities recomputed from its state.
#pragma once
#include <cstdint>

#include "mcmc/pairwise_samplers.hpp"
#include "testing/quadratic_incremental_check.hpp"  // IncrementalGaps

namespace ttsolve::testing {

/// n_steps of one chain of `cfg` from x with stream (seed, 0). weight_gap is relative to the
/// tree total; field_gap is the gradient table's; energy_gap f's. Keep n_steps below 64 dim
/// to see the drift before the periodic recomputation.
IncrementalGaps pair_incremental_gaps(const mcmc::PairwiseModel& m, const mcmc::SamplerConfig& cfg,
                                      const uint8_t* x, int64_t n_steps, uint64_t seed);

}  // namespace ttsolve::testing
