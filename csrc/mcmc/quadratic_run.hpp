// Multi-chain engine for spin-quadratic models: every chain advances over a range of steps
// in parallel (one Philox stream per chain, so output does not depend on the thread count).
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/quadratic_samplers.hpp"
#include "mcmc/run.hpp"

namespace ttsolve::mcmc {

struct QuadRun final : Run {
  SpinQuadratic model;
  SamplerConfig config;
  std::vector<QuadChain> chains;

  int64_t dim() const override { return model.dim; }
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override;
  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override;
  ChainSummary finish(int64_t c, uint8_t* state) const override;
};

}  // namespace ttsolve::mcmc
