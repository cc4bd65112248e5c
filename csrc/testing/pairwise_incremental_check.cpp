#include "testing/pairwise_incremental_check.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "mcmc/pairwise_run.hpp"

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

IncrementalGaps pair_incremental_gaps(const PairwiseModel& m, const SamplerConfig& cfg, const uint8_t* x,
                                      int64_t n_steps, uint64_t seed) {
  m.validate();
  check_pairwise_config(cfg, m.dim, m.n_states);
  const int64_t D = m.dim, K = m.n_states;
  for (int64_t i = 0; i < D; ++i)
    if (x[i] >= K) throw std::invalid_argument("x states must be in 0..K-1");
  PairwisePrepared p;
  p.prepare(m);
  PairChain c;
  c.rng = Philox(seed, 0);
  c.reset(p, cfg, x, nullptr);
  for (int64_t t = 0; t < n_steps; ++t) pair_step(p, cfg, c);
  IncrementalGaps gaps;
  gaps.accepted = c.accepted;
  gaps.energy_gap = std::abs(c.f - m.log_prob(c.x.data()));
  if (!pair_uses_tree(cfg.kind)) return gaps;
  std::vector<double> g(size_t(D * K));
  m.grad(c.x.data(), g.data());
  for (size_t a = 0; a < g.size(); ++a) gaps.field_gap = std::max(gaps.field_gap, std::abs(g[a] - c.g[a]));
  const double total = c.tree.total();
  for (int64_t s = 0; s < D; ++s)
    for (int64_t k = 0; k < K; ++k) {
      const double exact = k == c.x[size_t(s)] ? 0.0
                                               : std::exp(log_weight(cfg.kind, g[size_t(s * K + k)] -
                                                                                  g[size_t(s * K + c.x[size_t(s)])]) -
                                                          c.shift);
      gaps.weight_gap = std::max(gaps.weight_gap, std::abs(exact - c.tree.leaf(s * K + k)) / total);
    }
  return gaps;
}

}  // namespace ttsolve::testing
