#include "mcmc/pairwise_run.hpp"

#include <stdexcept>
#include <string>

namespace ttsolve::mcmc {

void check_pairwise_config(const SamplerConfig& cfg, int64_t dim) {
  cfg.validate(dim);
  if (!kind_supports(cfg.kind, "pairwise") || kind_row(cfg.kind).python)
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(cfg.kind).kernel +
                                "' does not run on pairwise (categorical) models");
  if (cfg.n_flips > 1)
    throw std::invalid_argument("n_flips > 1 is not available on pairwise (categorical) models");
}

void PairRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  check_pairwise_config(config, model.dim);
  const int64_t D = model.dim;
  for (int64_t a = 0; a < n_chains * D; ++a)
    if (init[a] >= model.n_states)
      throw std::invalid_argument("init states must be in 0.." + std::to_string(model.n_states - 1));
  prepared.prepare(model);
  chains.assign(size_t(n_chains), PairChain{});
  for (int64_t c = 0; c < n_chains; ++c) {
    chains[c].rng = Philox(seed, first_chain + uint64_t(c));
    chains[c].reset(prepared, config, init + c * D, reference_row(reference, c));
  }
}

void PairRun::advance(int64_t t_begin, int64_t t_end, const Recording& rec) {
  for_each_unit(int64_t(chains.size()), [&](int64_t c) {
    PairChain& ch = chains[c];
    const bool spins = rec.magnetization != nullptr;
    for (int64_t t = t_begin; t < t_end; ++t) {
      pair_step(prepared, config, ch);
      if (rec.slot(t) < 0) continue;
      int64_t spin_sum = 0;  // only asked for on binary models; O(D) per kept step
      if (spins)
        for (uint8_t v : ch.x) spin_sum += 2 * int64_t(v) - 1;
      rec.keep(t, c, [&](int64_t i) { return ch.x[size_t(i)]; }, ch.f, spin_sum, ch.hamming);
    }
  });
}

ChainSummary PairRun::finish(int64_t c, uint8_t* state) const {
  const PairChain& ch = chains[c];
  for (int64_t i = 0; i < model.dim; ++i) state[i] = ch.x[size_t(i)];
  return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
}

}  // namespace ttsolve::mcmc
