// Multi-coordinate gradient samplers on any model of the gradient-model concept
// (mcmc/gradient_models.hpp: dim, n_states, log_prob, grad): DMALA / DULA, PAS, DLMC and
// multi-flip GWG, binary (K = 2) and categorical. One chain step:
//
//   1. draw y from the proposal q(. | x) built from the gradient table at x
//      (mcmc/gradient_kernels.hpp; the table at x is kept from the previous step);
//   2. f(y) and the gradient table at y (value_and_grad), the proposal tables at y;
//   3. MH: accept with min(1, exp(f(y) - f(x)) q(x | y) / q(y | x)) (DULA: always).
//
// Cost per chain-step: one gradient evaluation (O(nnz K) for PairwiseModel) and one
// proposal table (O(D K) transcendental functions; DLMC expm O(D K^3)); memory 2 D K
// doubles per chain. Chains run in parallel, each with its own Philox stream (seed,
// first_chain + c): output does not depend on the thread count.
//
// Adaptive (config.adaptive): during burn-in each chain moves theta = log of its scale
// (DMALA/DULA step size, DLMC t, PAS path length, GWG number of flips) by
// (a_t - target) / (t + 1)^0.6, a_t the step's MH acceptance probability; the frozen value
// is the average of theta over the second half of burn-in, so the kept chain is a fixed
// MH kernel. adapted(c) reports it.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/gradient_kernels.hpp"
#include "mcmc/gradient_models.hpp"
#include "mcmc/run.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

/// Product of probabilities accumulated in log scale with few logs (renormalised when small).
struct LogProduct {
  double log = 0.0, prod = 1.0;
  void mul(double p) {
    prod *= p;
    if (prod < 1e-200) {
      log += std::log(prod);
      prod = 1.0;
    }
  }
  double value() const { return log + std::log(prod); }
};

/// One chain of the gradient engine: state, gradient and proposal tables at x and at the
/// proposal y (swapped on acceptance), adaptation state, scratch.
struct GradChain {
  Philox rng{0, 0};
  GradientConfig cfg;  // the chain's current kernel (its scale adapts during burn-in)
  std::vector<uint8_t> x, y, ref, mark;
  std::vector<double> g, gy, tab, taby, lw, lwy;
  double f = 0.0, f_y = 0.0, theta = 0.0, theta_sum = 0.0;
  int64_t theta_n = 0, spin_sum = 0, hamming = 0;
  uint64_t steps = 0, accepted = 0;
  std::vector<int64_t> order, counts;
  SumTree tree;
};

/// True with probability p (0 <= p <= 1), exactly as u < p for a uniform u with 64 bits, but
/// usually from 32 random bits: the next 32 are drawn only when the first ones tie with p's.
inline bool bernoulli(Philox& rng, double p) {
  const double scaled = p * 4294967296.0;  // exact (power of two)
  const double whole = std::floor(scaled);
  const uint32_t u = rng.next_u32();
  if (whole >= 4294967296.0) return true;
  const uint32_t w = uint32_t(whole);
  if (u != w) return u < w;
  return double(rng.next_u32()) < (scaled - whole) * 4294967296.0;
}

/// Draws k from the probabilities p[0..K) with one uniform (last positive one on round-off).
inline int64_t draw_from(const double* p, int64_t K, double u) {
  double c = 0.0;
  int64_t last = 0;
  for (int64_t k = 0; k < K; ++k) {
    if (p[k] <= 0.0) continue;
    c += p[k];
    last = k;
    if (u < c) return k;
  }
  return last;
}

template <class Model>
class GradientRun final : public Run {
 public:
  Model model;           // validated by the caller
  GradientConfig config;

  int64_t dim() const override { return model.dim; }
  int64_t n_states() const override { return model.n_states; }

  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override {
    config.validate(model.dim, model.n_states);
    const size_t D = size_t(model.dim), DK = D * size_t(model.n_states);
    chains_.assign(size_t(n_chains), GradChain{});
    for (int64_t c = 0; c < n_chains; ++c) {
      GradChain& ch = chains_[size_t(c)];
      ch.rng = Philox(seed, first_chain + uint64_t(c));
      ch.cfg = config;
      ch.theta = config.log_scale();
      ch.x.assign(init + c * model.dim, init + (c + 1) * model.dim);
      for (uint8_t v : ch.x)
        if (v >= model.n_states) throw std::invalid_argument("init states must be in [0, n_states)");
      ch.y = ch.x;
      ch.ref.assign(D, 0);
      if (const uint8_t* r = reference_row(reference, c)) ch.ref.assign(r, r + D);
      ch.mark.assign(D, 0);
      ch.g.resize(DK);
      ch.gy.resize(DK);
      ch.tab.resize(DK);
      ch.taby.resize(DK);
      if (config.path()) {
        ch.lw.resize(D);
        ch.lwy.resize(D);
        ch.tree.resize(model.dim);
      }
      ch.f = value_and_grad(model, ch.x.data(), ch.g.data());
      if (!std::isfinite(ch.f)) throw std::invalid_argument("f(init) is not finite");
      tables(ch, ch.x.data(), ch.g.data(), ch.tab.data(), ch.lw.data());
      for (size_t i = 0; i < D; ++i) {
        ch.spin_sum += 2 * int64_t(ch.x[i] == 1) - 1;
        ch.hamming += ch.x[i] != ch.ref[i];
      }
    }
  }

  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override {
    for_each_unit(int64_t(chains_.size()), [&](int64_t c) {
      GradChain& ch = chains_[size_t(c)];
      for (int64_t t = t_begin; t < t_end; ++t) {
        const double a = step(ch);
        if (config.adaptive && t < rec.burn_in) adapt(ch, t, rec.burn_in, a);
        rec.keep(t, c, [&](int64_t i) { return ch.x[size_t(i)]; }, ch.f, ch.spin_sum, ch.hamming);
      }
    });
  }

  ChainSummary finish(int64_t c, uint8_t* state) const override {
    const GradChain& ch = chains_[size_t(c)];
    std::copy(ch.x.begin(), ch.x.end(), state);
    return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
  }

  /// The scale chain c uses now (frozen after burn-in): step size, t, path length or n_flips.
  double adapted(int64_t c) const { return chains_[size_t(c)].cfg.scale(); }

 private:
  std::vector<GradChain> chains_;

  void tables(const GradChain& ch, const uint8_t* x, const double* g, double* tab, double* lw) const {
    if (ch.cfg.factorised()) factorised_table(ch.cfg, model.dim, model.n_states, x, g, tab);
    else path_tables(ch.cfg, model.dim, model.n_states, x, g, lw, tab);
  }

  // Robbins-Monro on theta during burn-in; Polyak average of the second half is frozen.
  void adapt(GradChain& ch, int64_t t, int64_t burn_in, double a) const {
    const double lo = config.path() ? 0.0 : -30.0;
    const double hi = config.path() ? std::log(double(model.dim)) : 30.0;
    ch.theta = std::min(hi, std::max(lo, ch.theta + (a - config.target_acceptance) / std::pow(double(t + 1), 0.6)));
    if (2 * t >= burn_in) {
      ch.theta_sum += ch.theta;
      ++ch.theta_n;
    }
    const double theta = t + 1 == burn_in ? ch.theta_sum / double(ch.theta_n) : ch.theta;
    ch.cfg = config.with_log_scale(theta, model.dim);
    // factorised tables depend on the scale: rebuild the one at x
    if (config.factorised()) tables(ch, ch.x.data(), ch.g.data(), ch.tab.data(), ch.lw.data());
  }

  // Accepts y (swapping the tables) and updates the running statistics.
  void accept(GradChain& ch) const {
    for (size_t i = 0; i < ch.x.size(); ++i)
      if (ch.x[i] != ch.y[i]) {
        ch.spin_sum += ch.y[i] == 1 ? 2 : (ch.x[i] == 1 ? -2 : 0);
        ch.hamming += int64_t(ch.y[i] != ch.ref[i]) - int64_t(ch.x[i] != ch.ref[i]);
      }
    std::swap(ch.x, ch.y);
    std::swap(ch.g, ch.gy);
    std::swap(ch.tab, ch.taby);
    std::swap(ch.lw, ch.lwy);
    ch.f = ch.f_y;
    ++ch.accepted;
  }

  // MH decision on log_acc (non-finite f(y) rejects); returns the acceptance probability.
  double decide(GradChain& ch, double log_acc, bool always) const {
    if (std::isnan(log_acc)) log_acc = -INFINITY;
    const double a = log_acc >= 0.0 ? 1.0 : std::exp(log_acc);
    if (always ? std::isfinite(ch.f_y) : (log_acc >= 0.0 || ch.rng.uniform() < a)) accept(ch);
    return a;
  }

  double step(GradChain& ch) const {
    ++ch.steps;
    return ch.cfg.factorised() ? factorised_step(ch) : path_step(ch);
  }

  double factorised_step(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    LogProduct fwd, rev;
    if (K == 2) {
      for (int64_t i = 0; i < D; ++i) {
        const uint8_t a = ch.x[size_t(i)];
        const double p_move = ch.tab[size_t(2 * i + 1 - a)];
        const bool move = bernoulli(ch.rng, p_move);
        ch.y[size_t(i)] = move ? uint8_t(1 - a) : a;
        fwd.mul(move ? p_move : ch.tab[size_t(2 * i + a)]);
      }
    } else {
      for (int64_t i = 0; i < D; ++i) {
        const double* p = ch.tab.data() + i * K;
        const int64_t k = draw_from(p, K, ch.rng.uniform());
        ch.y[size_t(i)] = uint8_t(k);
        fwd.mul(p[k]);
      }
    }
    ch.f_y = value_and_grad(model, ch.y.data(), ch.gy.data());
    factorised_table(ch.cfg, D, K, ch.y.data(), ch.gy.data(), ch.taby.data());
    for (int64_t i = 0; i < D; ++i) rev.mul(ch.taby[size_t(i * K + ch.x[size_t(i)])]);
    return decide(ch, ch.f_y - ch.f + rev.value() - fwd.value(), ch.cfg.kind == Kind::Dula);
  }

  // PAS (L distinct sites drawn in order without replacement) and multi-flip GWG (n sites
  // with replacement, each distinct one moved once); every moved site takes a new state
  // from its within-site distribution. The reverse move visits the same sites (PAS: in
  // reverse order) under the tables at y, back to the states of x.
  double path_step(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    const bool pas = ch.cfg.kind == Kind::Pas;
    int64_t L = ch.cfg.path_length;
    if (pas && ch.cfg.uniform_length) L = 1 + int64_t(ch.rng.below(uint64_t(L)));
    double mx = -INFINITY;
    for (int64_t i = 0; i < D; ++i) mx = std::max(mx, ch.lw[size_t(i)]);
    ch.tree.build(D, [&](int64_t i) { return std::exp(ch.lw[size_t(i)] - mx); });
    ch.order.clear();
    ch.counts.clear();
    for (int64_t n = 0; n < L; ++n) {
      const double total = ch.tree.total();
      if (!(total > 0.0)) break;
      int64_t i = ch.tree.find(ch.rng.uniform() * total);
      if (ch.tree.leaf(i) <= 0.0) {  // round-off at a boundary: take the nearest live leaf
        int64_t j = i;
        while (j > 0 && ch.tree.leaf(j) <= 0.0) --j;
        if (ch.tree.leaf(j) <= 0.0) {
          j = i;
          while (j + 1 < D && ch.tree.leaf(j) <= 0.0) ++j;
        }
        i = j;
      }
      if (pas) {
        ch.order.push_back(i);
        ch.tree.update(i, 0.0);
      } else if (ch.mark[size_t(i)]) {
        ++ch.counts[size_t(std::find(ch.order.begin(), ch.order.end(), i) - ch.order.begin())];
      } else {
        ch.mark[size_t(i)] = 1;
        ch.order.push_back(i);
        ch.counts.push_back(1);
      }
    }
    for (int64_t i : ch.order) ch.mark[size_t(i)] = 0;
    ch.y = ch.x;
    double log_fwd = pas ? log_ordered_draws(D, ch.lw.data(), ch.order, false, ch.mark)
                         : log_counts(D, ch.lw.data(), ch.order, ch.counts);
    for (int64_t i : ch.order) {
      const double* lv = ch.tab.data() + i * K;
      int64_t k = 1 - ch.x[size_t(i)];
      if (K > 2) {
        double p[256];
        for (int64_t s = 0; s < K; ++s) p[s] = std::exp(lv[s]);  // 0 at x_i (log -inf)
        k = draw_from(p, K, ch.rng.uniform());
      }
      ch.y[size_t(i)] = uint8_t(k);
      log_fwd += lv[k];
    }
    ch.f_y = value_and_grad(model, ch.y.data(), ch.gy.data());
    path_tables(ch.cfg, D, K, ch.y.data(), ch.gy.data(), ch.lwy.data(), ch.taby.data());
    double log_rev = pas ? log_ordered_draws(D, ch.lwy.data(), ch.order, true, ch.mark)
                         : log_counts(D, ch.lwy.data(), ch.order, ch.counts);
    for (int64_t i : ch.order) log_rev += ch.taby[size_t(i * K + ch.x[size_t(i)])];
    return decide(ch, ch.f_y - ch.f + log_rev - log_fwd, false);
  }
};

}  // namespace ttsolve::mcmc
