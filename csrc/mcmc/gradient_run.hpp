// Multi-coordinate gradient samplers on any model of the gradient-model concept
// (mcmc/gradient_models.hpp: dim, n_states, log_prob, grad): DMALA / DULA, PAS, DLMC and
// multi-flip GWG, binary (K = 2) and categorical. One chain step:
//
//   1. draw y from the proposal q(. | x) built from the gradient table at x
//      (mcmc/gradient_kernels.hpp; the table at x is kept from the previous step);
//   2. f(y) and the gradient table at y (value_and_grad), the proposal tables at y;
//   3. MH: accept with min(1, exp(f(y) - f(x)) q(x | y) / q(y | x)) (DULA: always).
//
// Cost per chain-step on a generic model: one gradient evaluation and one proposal table
// (O(D K) transcendental functions; DLMC expm O(D K^3)). On incremental models
// (incremental_model<Model>, e.g. PairwiseModel) only the moved sites and their neighbours
// are updated: factorised kinds O(D) draws + O(moved (deg + 1) K), path kinds
// O(L (deg + 1) (K + log D)); a full refresh every kRefresh steps bounds rounding drift.
// Memory 2 D K doubles per chain. Chains run in parallel, each with its own Philox stream
// (seed, first_chain + c): output does not depend on the thread count.
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
#include "mcmc/gradient_chain.hpp"
#include "mcmc/gradient_independent.hpp"
#include "mcmc/gradient_kernels.hpp"
#include "mcmc/gradient_models.hpp"
#include "mcmc/run.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

template <class Model>
class GradientRun final : public Run {
 public:
  Model model;           // validated by the caller
  GradientConfig config;

  int64_t dim() const override { return model.dim; }
  int64_t n_states() const override { return model.n_states; }

  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override {
    config.validate(model.dim, model.n_states);
    if constexpr (incremental_model<Model>::value) model.prepare_moves();
    independent_ = config.factorised() && independent_sites(model);
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
      if (config.path()) build_tree(ch);
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
        if (independent_ && ch.site_tab.empty() && !(config.adaptive && t < rec.burn_in)) build_site_tab(ch);
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
  bool independent_ = false;  // factorised kind on an independent-site model (gradient_independent.hpp)

  // The fixed kernel's rows for every site and state (once the scale no longer adapts); from
  // then on the chain runs independent_step, which gives the incremental step's chain.
  void build_site_tab(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    ch.site_tab.resize(size_t(D * K * K));
    site_tables(ch.cfg, D, K, ch.g.data(), ch.old_state, ch.taby, ch.site_tab.data());
  }

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
    double a = 0.0;
    if (mh_test(ch, log_acc, always, a)) accept(ch);
    return a;
  }

  double step(GradChain& ch) const {
    ++ch.steps;
    if constexpr (incremental_model<Model>::value) {
      if (!ch.cfg.factorised()) {
        const double a = incremental_path_step(ch);
        if (ch.steps % kRefresh == 0) refresh(ch);
        return a;
      }
      const double a = ch.site_tab.empty() ? incremental_step(ch) : independent_step(ch, model.dim, model.n_states);
      if (ch.steps % kRefresh == 0) refresh(ch);
      return a;
    } else {
      return ch.cfg.factorised() ? factorised_step(ch) : path_step(ch);
    }
  }

  // Incrementally kept gradients, f and tables are recomputed every kRefresh steps of a chain
  // (bounds the rounding drift; the same steps for any thread count).
  static constexpr uint64_t kRefresh = 256;
  void refresh(GradChain& ch) const {
    ch.f = value_and_grad(model, ch.x.data(), ch.g.data());
    tables(ch, ch.x.data(), ch.g.data(), ch.tab.data(), ch.lw.data());
    if (ch.cfg.path()) build_tree(ch);
  }

  // Path kinds on incremental models keep the sum tree of site weights exp(lw - shift).
  void build_tree(GradChain& ch) const {
    double mx = -INFINITY;
    for (double v : ch.lw) mx = std::max(mx, v);
    ch.shift = mx;
    ch.tree.build(model.dim, [&](int64_t i) { return std::exp(ch.lw[size_t(i)] - mx); });
  }

  // PAS / multi-flip GWG on an incremental model: the path is drawn from the kept tree, only
  // the path sites and their neighbours change gradient rows, tables and leaves, and the
  // reverse path's probability is read from the tree at y (totals are sums of the remaining
  // leaves, so no cancellation). O(L (degree + 1) (K + log D)) per step.
  double incremental_path_step(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    const bool pas = ch.cfg.kind == Kind::Pas;
    int64_t L = ch.cfg.path_length;
    if (pas && ch.cfg.uniform_length) L = 1 + int64_t(ch.rng.below(uint64_t(L)));
    ch.order.clear();
    ch.counts.clear();
    ch.saved_leaf.clear();
    if (!(ch.tree.total() > 1e-250 && ch.tree.total() < 1e250)) build_tree(ch);  // shift drifted
    double log_fwd = 0.0;
    for (int64_t n = 0; n < L; ++n) {
      const double total = ch.tree.total();
      if (!(total > 0.0)) break;
      const int64_t i = ch.tree.find_live(ch.rng.uniform() * total, D);
      if (pas) {
        log_fwd += std::log(ch.tree.leaf(i) / total);
        ch.saved_leaf.emplace_back(i, ch.tree.leaf(i));
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
    if (!pas) {
      const double total = ch.tree.total();
      for (size_t j = 0; j < ch.order.size(); ++j) {
        ch.mark[size_t(ch.order[j])] = 0;
        log_fwd += double(ch.counts[j]) * std::log(ch.tree.leaf(ch.order[j]) / total);
      }
    }
    // new states, then touched sites with their saved rows
    ch.touched.clear();
    auto touch = [&](int64_t j) {
      if (!ch.mark[size_t(j)]) {
        ch.mark[size_t(j)] = 1;
        ch.touched.push_back(j);
      }
    };
    for (int64_t i : ch.order) {
      touch(i);
      model.for_each_neighbour(i, touch);
    }
    for (int64_t j : ch.touched) ch.mark[size_t(j)] = 0;
    for (int64_t i : ch.order) ch.mark[size_t(i)] = 1;  // PAS path leaves are saved already
    const size_t n_touched = ch.touched.size();
    ch.saved_g.resize(n_touched * size_t(K));
    ch.saved_tab.resize(n_touched * size_t(K));
    ch.saved_lw.resize(n_touched);
    for (size_t t = 0; t < n_touched; ++t) {
      const int64_t j = ch.touched[t];
      copy_row(ch.g.data() + j * K, K, ch.saved_g.data() + t * size_t(K));
      copy_row(ch.tab.data() + j * K, K, ch.saved_tab.data() + t * size_t(K));
      ch.saved_lw[t] = ch.lw[size_t(j)];
      if (!(pas && ch.mark[size_t(j)])) ch.saved_leaf.emplace_back(j, ch.tree.leaf(j));
    }
    for (int64_t i : ch.order) ch.mark[size_t(i)] = 0;
    ch.old_state.clear();
    double df = 0.0;
    for (int64_t i : ch.order) {
      const double* lv = ch.tab.data() + i * K;
      const uint8_t a = ch.x[size_t(i)];
      int64_t c = 1 - a;
      if (K > 2) {
        double p[256];
        for (int64_t s = 0; s < K; ++s) p[s] = std::exp(lv[s]);  // 0 at x_i (log -inf)
        c = draw_from(p, K, ch.rng.uniform());
      }
      log_fwd += lv[c];
      df += ch.g[size_t(i * K + c)] - ch.g[size_t(i * K + a)];
      model.move_grad(i, a, uint8_t(c), ch.g.data());
      ch.old_state.push_back(a);
      ch.x[size_t(i)] = uint8_t(c);
    }
    // tables and leaves at y on the touched sites
    bool rebuilt = false;
    for (int64_t j : ch.touched) {
      path_tables(ch.cfg, 1, K, ch.x.data() + j, ch.g.data() + j * K, ch.lw.data() + j, ch.tab.data() + j * K);
      if (ch.lw[size_t(j)] - ch.shift > 600.0) rebuilt = true;
    }
    if (rebuilt) {
      build_tree(ch);
    } else {
      for (int64_t j : ch.touched) ch.tree.update(j, std::exp(ch.lw[size_t(j)] - ch.shift));
    }
    // reverse: the same sites (PAS: in reverse order) back to the old states, at y
    double log_rev = 0.0;
    if (pas) {
      ch.rev_leaf.clear();
      for (auto it = ch.order.rbegin(); it != ch.order.rend(); ++it) {
        const double total = ch.tree.total();
        log_rev += std::log(ch.tree.leaf(*it) / total);
        ch.rev_leaf.emplace_back(*it, ch.tree.leaf(*it));
        ch.tree.update(*it, 0.0);
      }
      for (const auto& e : ch.rev_leaf) ch.tree.update(e.first, e.second);
    } else {
      const double total = ch.tree.total();
      for (size_t j = 0; j < ch.order.size(); ++j)
        log_rev += double(ch.counts[j]) * std::log(ch.tree.leaf(ch.order[j]) / total);
    }
    for (size_t j = 0; j < ch.order.size(); ++j)
      log_rev += ch.tab[size_t(ch.order[j] * K + ch.old_state[j])];
    ch.f_y = ch.f + df;
    double a = 0.0;
    if (mh_test(ch, df + log_rev - log_fwd, false, a)) {
      for (size_t t = 0; t < ch.order.size(); ++t) {
        const int64_t i = ch.order[t];
        const uint8_t was = ch.old_state[t], now = ch.x[size_t(i)];
        ch.spin_sum += (now == 1 ? 1 : -1) - (was == 1 ? 1 : -1);
        ch.hamming += int64_t(now != ch.ref[size_t(i)]) - int64_t(was != ch.ref[size_t(i)]);
      }
      ch.f = ch.f_y;
      ++ch.accepted;
      return a;
    }
    for (size_t t = 0; t < ch.order.size(); ++t) ch.x[size_t(ch.order[t])] = ch.old_state[t];
    for (size_t t = 0; t < n_touched; ++t) {
      const int64_t j = ch.touched[t];
      copy_row(ch.saved_g.data() + t * size_t(K), K, ch.g.data() + j * K);
      copy_row(ch.saved_tab.data() + t * size_t(K), K, ch.tab.data() + j * K);
      ch.lw[size_t(j)] = ch.saved_lw[t];
    }
    if (rebuilt) {
      build_tree(ch);
    } else {
      for (auto it = ch.saved_leaf.rbegin(); it != ch.saved_leaf.rend(); ++it) ch.tree.update(it->first, it->second);
    }
    return a;
  }

  // Factorised step on an incremental model: only the moved sites and their neighbours change
  // gradient rows and tables, and every other site's factor is the same in q(y | x) and
  // q(x | y) (it stays, under the same table), so the MH ratio runs over the touched sites.
  double incremental_step(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    ch.moved.clear();
    ch.old_state.clear();
    if (K == 2) {
      // every site: y_i = x_i or flipped (gradient_chain.hpp draw_flips)
      ch.moved.resize(size_t(D));
      const double* tab = ch.tab.data();
      const size_t n = draw_flips(ch.rng, D, ch.x.data(), ch.y.data(),
                                  [&](int64_t i, uint8_t a) { return tab[2 * i + 1 - a]; }, ch.moved.data());
      ch.moved.resize(n);
    } else {
      // stay with probability p[x_i]; else one of the others (gradient_chain.hpp: pass one
      // branch-free on stay / move, pass two picks the new states of the moved sites)
      ch.moved.resize(size_t(D));
      ch.u_moved.resize(size_t(D));
      int64_t* moved = ch.moved.data();
      const uint8_t* x = ch.x.data();
      const double* tab = ch.tab.data();
      const size_t n = draw_movers(ch.rng, D, [&](int64_t i) { return tab[i * K + x[i]]; }, moved, ch.u_moved.data());
      size_t m = 0;
      for (size_t t = 0; t < n; ++t) {
        const int64_t i = moved[t];
        const int64_t pick = pick_other(tab + i * K, K, x[i], ch.u_moved[t]);
        if (pick < 0) continue;  // p[a] == 1 up to rounding: stay
        moved[m++] = i;
        ch.y[size_t(i)] = uint8_t(pick);
      }
      ch.moved.resize(m);
    }
    ch.f_y = ch.f;
    if (ch.moved.empty()) {  // y = x: accepted, nothing changes
      ++ch.accepted;
      return 1.0;
    }
    // Apply the moves one by one (f changes by g[i, c] - g[i, a] under the current g), saving
    // the gradient and table rows of every touched site (moved or neighbour) the first time a
    // move reaches it, before its row changes: one pass over each moved site's CSR row. The
    // touch is branch-free (a row is copied to the next free slot and the slot kept only when
    // the site is new): whether a neighbour was touched already is unpredictable.
    if (ch.touched.size() < size_t(D) + 1) {  // once: slots for every site (+1 scratch slot)
      ch.touched.resize(size_t(D) + 1);
      ch.saved_g.resize((size_t(D) + 1) * size_t(K));
      ch.saved_tab.resize((size_t(D) + 1) * size_t(K));
    }
    size_t n_touched = 0;
    double df = 0.0;
    {
      int64_t* touched = ch.touched.data();
      double *saved_g = ch.saved_g.data(), *saved_tab = ch.saved_tab.data();
      const double *g = ch.g.data(), *tab = ch.tab.data();
      uint8_t* mark = ch.mark.data();
      auto touch = [&](int64_t j) {
        touched[n_touched] = j;
        copy_row(g + j * K, K, saved_g + n_touched * size_t(K));
        copy_row(tab + j * K, K, saved_tab + n_touched * size_t(K));
        n_touched += size_t(!mark[j]);
        mark[j] = 1;
      };
      for (int64_t i : ch.moved) {
        const uint8_t a = ch.x[size_t(i)], c = ch.y[size_t(i)];
        touch(i);
        df += ch.g[size_t(i * K + c)] - ch.g[size_t(i * K + a)];
        model.move_grad_touching(i, a, c, ch.g.data(), touch);
        ch.old_state.push_back(a);
        ch.x[size_t(i)] = c;
      }
    }
    ch.f_y = ch.f + df;
    const int64_t* touched = ch.touched.data();  // [0, n_touched)
    // forward factors q_i(y_i | x): the table is still the one at x, and x holds y now
    LogProduct fwd, rev;
    for (size_t t = 0; t < n_touched; ++t) {
      const int64_t j = touched[t];
      ch.mark[size_t(j)] = 0;
      fwd.mul(ch.tab[size_t(j * K + ch.x[size_t(j)])]);
    }
    for (int64_t i : ch.moved) ch.mark[size_t(i)] = 1;  // mark = moved, for the reverse factors
    // tables at y on the touched sites, reverse factors q_i(x_i | y)
    factorised_rows(ch.cfg, K, touched, int64_t(n_touched), ch.x.data(), ch.g.data(), ch.tab.data());
    for (size_t t = 0; t < ch.moved.size(); ++t) ch.y[size_t(ch.moved[t])] = ch.old_state[t];  // y := old x there
    for (size_t t = 0; t < n_touched; ++t) {
      const int64_t j = touched[t];
      rev.mul(ch.tab[size_t(j * K + (ch.mark[size_t(j)] ? ch.y[size_t(j)] : ch.x[size_t(j)]))]);
    }
    for (int64_t i : ch.moved) ch.mark[size_t(i)] = 0;
    double a = 0.0;
    if (mh_test(ch, df + rev.value() - fwd.value(), ch.cfg.kind == Kind::Dula, a)) {
      for (size_t t = 0; t < ch.moved.size(); ++t) {
        const int64_t i = ch.moved[t];
        const uint8_t was = ch.old_state[t], now = ch.x[size_t(i)];
        ch.spin_sum += (now == 1 ? 1 : -1) - (was == 1 ? 1 : -1);
        ch.hamming += int64_t(now != ch.ref[size_t(i)]) - int64_t(was != ch.ref[size_t(i)]);
        ch.y[size_t(i)] = now;  // keep y == x off the next proposal's moved sites
      }
      ch.f = ch.f_y;
      ++ch.accepted;
    } else {
      for (size_t t = 0; t < ch.moved.size(); ++t) ch.x[size_t(ch.moved[t])] = ch.old_state[t];
      for (size_t t = 0; t < n_touched; ++t) {
        const int64_t j = touched[t];
        copy_row(ch.saved_g.data() + t * size_t(K), K, ch.g.data() + j * K);
        copy_row(ch.saved_tab.data() + t * size_t(K), K, ch.tab.data() + j * K);
      }
    }
    return a;
  }

  double factorised_step(GradChain& ch) const {
    const int64_t D = model.dim, K = model.n_states;
    LogProduct fwd, rev;
    {
      BulkWords words(ch.rng);  // the chain's stream, from the multi-block fill (to the end of this block)
      if (K == 2) {
        for (int64_t i = 0; i < D; ++i) {
          const uint8_t a = ch.x[size_t(i)];
          const double p_move = ch.tab[size_t(2 * i + 1 - a)];
          const bool move = bernoulli(words, p_move);
          ch.y[size_t(i)] = move ? uint8_t(1 - a) : a;
          fwd.mul(move ? p_move : ch.tab[size_t(2 * i + a)]);
        }
      } else {
        for (int64_t i = 0; i < D; ++i) {
          const double* p = ch.tab.data() + i * K;
          const int64_t k = draw_from(p, K, words.uniform());
          ch.y[size_t(i)] = uint8_t(k);
          fwd.mul(p[k]);
        }
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
      const int64_t i = ch.tree.find_live(ch.rng.uniform() * total, D);
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
