// Multi-chain engine for categorical pairwise models (family "pairwise": Potts, lattice
// Potts, categorical / Bernoulli sites) with the single-site kernels of
// mcmc/pairwise_samplers.hpp; one Philox stream per chain (seed, first_chain + c), so the
// output does not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/pairwise_samplers.hpp"
#include "mcmc/run.hpp"

namespace ttsolve::mcmc {

struct PairRun final : Run {
  PairwiseModel model;
  SamplerConfig config;
  PairwisePrepared prepared;
  std::vector<PairChain> chains;

  int64_t dim() const override { return model.dim; }
  int64_t n_states() const override { return model.n_states; }
  /// Throws std::invalid_argument for a bad model, a kind without the "pairwise" family,
  /// n_flips > 1, or init states outside 0..K-1.
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override;
  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override;
  ChainSummary finish(int64_t c, uint8_t* state) const override;
};

/// Checks a kind / options pair for pairwise models (shared by the run and the test hooks).
void check_pairwise_config(const SamplerConfig& cfg, int64_t dim, int64_t n_states);

}  // namespace ttsolve::mcmc
