#include "mcmc/quadratic_run.hpp"

#include "mcmc/gradient_kernels.hpp"

namespace ttsolve::mcmc {

void QuadRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  config.validate(model.dim);
  if (!kind_supports(config.kind, "quadratic") || kind_row(config.kind).python || is_gradient_kind(config.kind))
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(config.kind).kernel +
                                "' does not run on quadratic models");
  model.prepare();
  chains.assign(size_t(n_chains), QuadChain{});
  for (int64_t c = 0; c < n_chains; ++c) {
    chains[c].rng = Philox(seed, first_chain + uint64_t(c));
    chains[c].reset(model, config, init + c * model.dim, reference_row(reference, c));
  }
}

void QuadRun::advance(int64_t t_begin, int64_t t_end, const Recording& rec) {
  for_each_unit(int64_t(chains.size()), [&](int64_t c) {
    QuadChain& ch = chains[c];
    for (int64_t t = t_begin; t < t_end; ++t) {
      quad_step(model, config, ch);
      rec.keep(t, c, [&](int64_t i) { return uint8_t(ch.s[i] > 0); }, ch.f, ch.spin_sum, ch.hamming);
    }
  });
}

ChainSummary QuadRun::finish(int64_t c, uint8_t* state) const {
  const QuadChain& ch = chains[c];
  for (int64_t i = 0; i < model.dim; ++i) state[i] = ch.s[i] > 0;
  return {acceptance_rate(ch.accepted, ch.steps), model.energy(ch.s.data())};
}

}  // namespace ttsolve::mcmc
