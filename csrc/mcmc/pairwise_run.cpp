#include "mcmc/pairwise_run.hpp"

#include "mcmc/gradient_kernels.hpp"

#include <stdexcept>
#include <string>

namespace ttsolve::mcmc {

void check_pairwise_config(const SamplerConfig& cfg, int64_t dim, int64_t n_states) {
  cfg.validate(dim);
  if (is_block_gibbs(cfg.kind)) check_block_configs(n_states, cfg.block_size);
  if (!kind_supports(cfg.kind, "pairwise") || kind_row(cfg.kind).python || !pair_has_step(cfg.kind))
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(cfg.kind).kernel +
                                "' does not run on the pairwise single-site engine");
}

void PairRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  check_pairwise_config(config, model.dim, model.n_states);
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
  const int64_t D = model.dim, K = model.n_states;
  // counts and the linear statistic are kept by the chains themselves (O(1) per move, not
  // O(D) per kept step); keep() writes the rest
  Recording plain = rec;
  plain.counts = nullptr;
  plain.linear = nullptr;
  for_each_unit(int64_t(chains.size()), [&](int64_t c) {
    PairChain& ch = chains[c];
    ch.kept_seen = 0;
    if (rec.counts) {
      ch.counts = rec.counts + c * D * K;
      ch.since.assign(size_t(D), 0);
    }
    if (rec.linear) {
      ch.lin_w = rec.linear_weights;
      ch.lin = pair_linear(ch, K, ch.lin_w);
    }
    for (int64_t t = t_begin; t < t_end; ++t) {
      pair_step(prepared, config, ch);
      const int64_t k = rec.slot(t);
      if (k < 0) continue;
      plain.keep(t, c, [&](int64_t i) { return ch.x[size_t(i)]; }, ch.f, 2 * ch.ones - D, ch.hamming);
      if (rec.linear) rec.linear[c * rec.n_kept + k] = ch.lin;
      ++ch.kept_seen;
    }
    if (ch.counts)  // each site's current state, since its last change in this chunk
      for (int64_t i = 0; i < D; ++i) ch.counts[i * K + ch.x[size_t(i)]] += ch.kept_seen - ch.since[size_t(i)];
    ch.counts = nullptr;
    ch.lin_w = nullptr;
  });
}

ChainSummary PairRun::finish(int64_t c, uint8_t* state) const {
  const PairChain& ch = chains[c];
  for (int64_t i = 0; i < model.dim; ++i) state[i] = ch.x[size_t(i)];
  return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
}

}  // namespace ttsolve::mcmc
