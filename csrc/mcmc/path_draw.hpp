// The site draw of the path kinds (mcmc/gradient_kernels.hpp) for engines that evaluate the
// gradient themselves (the batched RBM engine, mcmc/rbm_gradient_run.hpp): PAS draws L
// distinct sites in order without replacement, multi-flip GWG L sites with replacement (each
// distinct site once, with its count), from the site weights exp(log_w - max) in a sum tree.
// The same draws, in the same order of random numbers, as GradientRun::path_step.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

/// Fills `order` (distinct sites, in drawing order) and, without replacement = false,
/// `counts` (draws per site); `slot` (D, all -1 on entry and on return) is scratch.
inline void draw_path_sites(SumTree& tree, Philox& rng, int64_t D, const double* log_w, bool without_replacement,
                            int64_t L, std::vector<int64_t>& order, std::vector<int64_t>& counts,
                            std::vector<int64_t>& slot) {
  double mx = -INFINITY;
  for (int64_t i = 0; i < D; ++i) mx = std::max(mx, log_w[i]);
  tree.build(D, [&](int64_t i) { return std::exp(log_w[i] - mx); });
  order.clear();
  counts.clear();
  for (int64_t n = 0; n < L; ++n) {
    const double total = tree.total();
    if (!(total > 0.0)) break;
    const int64_t i = tree.find_live(rng.uniform() * total, D);
    if (without_replacement) {
      order.push_back(i);
      tree.update(i, 0.0);
    } else if (slot[size_t(i)] >= 0) {
      ++counts[size_t(slot[size_t(i)])];
    } else {
      slot[size_t(i)] = int64_t(order.size());
      order.push_back(i);
      counts.push_back(1);
    }
  }
  for (int64_t i : order) slot[size_t(i)] = -1;
}

}  // namespace ttsolve::mcmc
