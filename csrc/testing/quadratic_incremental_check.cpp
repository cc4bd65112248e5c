#include "testing/quadratic_incremental_check.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "mcmc/quadratic_run.hpp"

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

IncrementalGaps quad_incremental_gaps(const SpinQuadratic& m, const SamplerConfig& cfg, const uint8_t* x,
                                      int64_t n_steps, uint64_t seed) {
  QuadRun run;
  run.model = m;
  run.config = cfg;
  run.start(x, 1, seed, nullptr);
  run.advance(0, n_steps, Recording{});
  const QuadChain& ch = run.chains[0];
  const int64_t D = run.model.dim;
  std::vector<double> g(static_cast<size_t>(D));
  run.model.fields(ch.s.data(), g.data());
  IncrementalGaps out;
  for (int64_t i = 0; i < D; ++i) {
    out.field_gap = std::max(out.field_gap, std::abs(g[i] - ch.g[i]));
    if (cfg.uses_tree()) {
      const double w = std::exp(log_weight(cfg.kind, -2.0 * ch.s[i] * g[i]) - ch.shift);
      out.weight_gap = std::max(out.weight_gap, std::abs(w - ch.tree.leaf(i)) / std::max(w, 1e-300));
    }
  }
  out.energy_gap = std::abs(run.model.energy(ch.s.data()) - ch.f);
  out.accepted = ch.accepted;
  return out;
}

}  // namespace ttsolve::testing
