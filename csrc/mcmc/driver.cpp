#include "mcmc/driver.hpp"

#include "common/parallel.hpp"

namespace ttsolve::mcmc {

void QuadRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  config.validate(model.dim);
  model.prepare();
  chains.assign(size_t(n_chains), QuadChain{});
  for (int64_t c = 0; c < n_chains; ++c) {
    chains[c].rng = Philox(seed, uint64_t(c));
    chains[c].reset(model, config, init + c * model.dim, reference);
  }
}

void QuadRun::run(int64_t t_begin, int64_t t_end, const Recording& rec) {
  const int64_t n_chains = int64_t(chains.size()), D = model.dim;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(ttsolve::get_num_threads())
#endif
  for (int64_t c = 0; c < n_chains; ++c) {
    QuadChain& ch = chains[c];
    for (int64_t t = t_begin; t < t_end; ++t) {
      quad_step(model, config, ch);
      const int64_t k = rec.slot(t);
      if (k < 0) continue;
      const int64_t at = c * rec.n_kept + k;
      if (rec.samples) {
        uint8_t* out = rec.samples + at * D;
        for (int64_t i = 0; i < D; ++i) out[i] = ch.s[i] > 0;
      }
      if (rec.energy) rec.energy[at] = ch.f;
      if (rec.magnetization) rec.magnetization[at] = double(ch.spin_sum) / double(D);
      if (rec.hamming) rec.hamming[at] = double(ch.hamming);
    }
  }
}

}  // namespace ttsolve::mcmc
