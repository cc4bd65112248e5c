// Random and constant tensor trains.
#include <algorithm>
#include <cmath>

#include "common/rng.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {

TensorTrain random(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks, uint64_t seed,
                   Interrupt* intr) {
  TensorTrain t = zeros(dims, ranks);
  constexpr size_t kPollEvery = size_t(1) << 16;  // entries between Ctrl-C checks (~1 ms)
  for (int64_t k = 0; k < t.ndim(); ++k) {
    // Variance 1/(n_k r_{k+1}) per core keeps E||x||_F^2 = 1 whatever d and the ranks.
    const double sd = 1.0 / std::sqrt(double(dims[k]) * double(ranks[k + 1]));
    Philox rng(seed, static_cast<uint64_t>(k));
    std::vector<double>& core = t.cores[k];
    for (size_t i = 0; i < core.size(); i += kPollEvery) {
      const size_t end = std::min(core.size(), i + kPollEvery);
      for (size_t j = i; j < end; ++j) core[j] = sd * rng.normal();
      check_interrupt(intr);
    }
  }
  return t;
}

TensorTrain constant(const std::vector<int64_t>& dims, double value) {
  TensorTrain t = zeros(dims, std::vector<int64_t>(dims.size() + 1, 1));
  for (double& v : t.cores[0]) v = value;
  for (int64_t k = 1; k < t.ndim(); ++k)
    for (double& v : t.cores[k]) v = 1.0;
  return t;
}

}  // namespace ttsolve::tt
