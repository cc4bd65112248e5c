#include "mcmc/rbm_gradient_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/blas_runtime.hpp"
#include "common/lapack.hpp"
#include "mcmc/gradient_run.hpp"  // bernoulli: the branch-free exact draw
#include "mcmc/path_draw.hpp"
#include "mcmc/rbm_run.hpp"       // rbm_shard_blocks: the RBM engines' chain blocks

namespace ttsolve::mcmc {

namespace {
constexpr uint64_t kRefreshEvery = 64;

// site(i, prod) for i = 0 .. D - 1 with prod0 for even i and prod1 for odd i (two
// independent running products instead of one dependency chain).
template <class Site>
void alternating(int64_t D, double& prod0, double& prod1, Site&& site) {
  int64_t i = 0;
  for (; i + 1 < D; i += 2) {
    site(i, prod0);
    site(i + 1, prod1);
  }
  if (i < D) site(i, prod0);
}
}  // namespace

void RbmGradientRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  config.validate(model.dim, 2);
  if (!config.factorised() && !config.path())
    throw std::invalid_argument(std::string("kind '") + kind_row(config.kind).kernel +
                                "' is not a kind of the gradient engine");
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  model.prepare();
  const int64_t D = model.dim, H = model.n_hidden;
  columns_.prepare(model.WT.data(), D, H);
  chains_.assign(size_t(n_chains), RbmGradChain{});
  for (int64_t k = 0; k < n_chains; ++k) {
    RbmGradChain& ch = chains_[size_t(k)];
    ch.rng = Philox(seed, first_chain + uint64_t(k));
    ch.cfg = config;
    ch.theta = config.log_scale();
    ch.x.assign(init + k * D, init + (k + 1) * D);
    for (uint8_t v : ch.x)
      if (v > 1) throw std::invalid_argument("init states must be 0 or 1");
    ch.y = ch.x;
    ch.ref.assign(size_t(D), 0);
    if (const uint8_t* r = reference_row(reference, k)) ch.ref.assign(r, r + D);
    for (auto* v : {&ch.A, &ch.A_y}) v->resize(size_t(H));
    for (auto* v : {&ch.g, &ch.g_y, &ch.tab, &ch.tab_y}) v->resize(size_t(2 * D));
    if (config.path()) {
      ch.lw.resize(size_t(D));
      ch.lw_y.resize(size_t(D));
      ch.slot.assign(size_t(D), -1);
      ch.mark.assign(size_t(D), 0);
      ch.tree.resize(D);
    }
  }
  blocks_.clear();
  for (const auto& [begin, end] : rbm_shard_blocks(n_chains, first_chain, n_chains_total)) {  // as the gwg engine
    Block blk;
    blk.begin = begin;
    blk.end = end;
    const size_t R = size_t(end - begin);
    blk.S.resize(R * size_t(H));
    blk.G.resize(R * size_t(D));
    blk.scratch.resize(size_t(H));
    blocks_.push_back(std::move(blk));
  }
  const int64_t nb = int64_t(blocks_.size());
  la::BlasSingleThreadScope single;
  for_each_unit(nb, [&](int64_t k) { refresh(blocks_[size_t(k)]); });
}

// Exact A, f and counters from x; gradient and proposal table at x.
void RbmGradientRun::refresh(Block& blk) {
  const int64_t D = model.dim, H = model.n_hidden;
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    model.preactivations(ch.x.data(), ch.A.data());
    ch.bx = 0.0;
    ch.ones = ch.hamming = 0;
    for (int64_t i = 0; i < D; ++i) {
      ch.ones += ch.x[i];
      ch.hamming += ch.x[i] != ch.ref[i];
      if (ch.x[i]) ch.bx += model.b[i];
    }
    ch.f = ch.bx + softplus_sum_and_sigmoid(ch.A.data(), H, &blk.S[size_t((c - blk.begin) * H)]);
  }
  gradient_rows(blk, false);
}

// G = (S W)^T for the block (rbm_gradient_product), then each chain's gradient table and proposal table (at x or y).
void RbmGradientRun::gradient_rows(Block& blk, bool at_proposal) {
  const int64_t D = model.dim, rows = blk.end - blk.begin;
  rbm_gradient_product(model, rows, blk.S.data(), blk.G.data());  // site-major: chain r at G[r], stride rows
  for (int64_t r = 0; r < rows; ++r) {
    RbmGradChain& ch = chains_[size_t(blk.begin + r)];
    std::vector<double>& g = at_proposal ? ch.g_y : ch.g;
    const float* G = &blk.G[size_t(r)];
    for (int64_t i = 0; i < D; ++i) {
      g[size_t(2 * i)] = 0.0;
      g[size_t(2 * i + 1)] = model.b[i] + double(G[i * rows]);
    }
    tables(ch, at_proposal);
  }
}

// Proposal tables at x or y from the gradient table there.
void RbmGradientRun::tables(RbmGradChain& ch, bool at_proposal) const {
  const uint8_t* x = at_proposal ? ch.y.data() : ch.x.data();
  const double* g = at_proposal ? ch.g_y.data() : ch.g.data();
  double* tab = at_proposal ? ch.tab_y.data() : ch.tab.data();
  if (ch.cfg.factorised()) factorised_table(ch.cfg, model.dim, 2, x, g, tab);
  else path_tables(ch.cfg, model.dim, 2, x, g, at_proposal ? ch.lw_y.data() : ch.lw.data(), tab);
}

// Every site moves independently (branch-free on the outcome: y_i = x_i ^ move, the site is
// written to `moved` always and counted when it moves); log q(y | x) as a product of the
// chosen entries, two running products, renormalised before underflow.
double RbmGradientRun::draw_factorised(RbmGradChain& ch) const {
  const int64_t D = model.dim;
  ch.moved.resize(size_t(D));
  ch.sign.resize(size_t(D));
  int64_t* moved = ch.moved.data();
  double* sign = ch.sign.data();
  const uint8_t* x = ch.x.data();
  uint8_t* y = ch.y.data();
  const double* tab = ch.tab.data();
  size_t n = 0;
  double log_fwd = 0.0, prod0 = 1.0, prod1 = 1.0;  // two running products (even / odd sites)
  BulkWords words(ch.rng);  // the chain's stream word for word, from the multi-block fill
  auto site = [&](int64_t i, double& prod) __attribute__((always_inline)) {  // not a call per site
    const uint8_t a = x[i];
    const uint8_t move = uint8_t(bernoulli(words, tab[2 * i + 1 - a]));
    const uint8_t b = uint8_t(a ^ move);
    moved[n] = i;
    sign[n] = a ? -1.0 : 1.0;
    n += move;
    y[i] = b;
    prod *= tab[2 * i + b];
    if (prod < 1e-200) { log_fwd += std::log(prod); prod = 1.0; }
  };
  alternating(D, prod0, prod1, site);
  ch.moved.resize(n);
  ch.sign.resize(n);
  return log_fwd + std::log(prod0) + std::log(prod1);
}

// PAS / multi-flip GWG: the path's sites (mcmc/path_draw.hpp), each flipped (K = 2: the
// within-site table has one entry, log 1).
double RbmGradientRun::draw_path(RbmGradChain& ch) const {
  const int64_t D = model.dim;
  const bool pas = ch.cfg.kind == Kind::Pas;
  int64_t L = ch.cfg.path_length;
  if (pas && ch.cfg.uniform_length) L = 1 + int64_t(ch.rng.below(uint64_t(L)));
  draw_path_sites(ch.tree, ch.rng, D, ch.lw.data(), pas, L, ch.order, ch.counts, ch.slot);
  double log_fwd = pas ? log_ordered_draws(D, ch.lw.data(), ch.order, false, ch.mark)
                       : log_counts(D, ch.lw.data(), ch.order, ch.counts);
  ch.moved.clear();
  ch.sign.clear();
  for (int64_t i : ch.order) {
    const uint8_t a = ch.x[size_t(i)];
    ch.y[size_t(i)] = uint8_t(1 - a);
    log_fwd += ch.tab[size_t(2 * i + 1 - a)];
    ch.moved.push_back(i);
    ch.sign.push_back(a ? -1.0 : 1.0);
  }
  return log_fwd;
}

double RbmGradientRun::log_reverse(RbmGradChain& ch) const {
  const int64_t D = model.dim;
  const double* tab_y = ch.tab_y.data();
  const uint8_t* x = ch.x.data();
  if (ch.cfg.path()) {
    double lr = ch.cfg.kind == Kind::Pas ? log_ordered_draws(D, ch.lw_y.data(), ch.order, true, ch.mark)
                                         : log_counts(D, ch.lw_y.data(), ch.order, ch.counts);
    for (int64_t i : ch.order) lr += tab_y[2 * i + x[i]];
    return lr;
  }
  double log_rev = 0.0, prod0 = 1.0, prod1 = 1.0;
  auto site = [&](int64_t i, double& prod) {
    prod *= tab_y[2 * i + x[i]];
    if (prod < 1e-200) { log_rev += std::log(prod); prod = 1.0; }
  };
  alternating(D, prod0, prod1, site);
  return log_rev + std::log(prod0) + std::log(prod1);
}

void RbmGradientRun::step(Block& blk, int64_t t, const Recording& rec) {
  const int64_t D = model.dim, H = model.n_hidden;
  // 1. The proposal y of every chain (its moved sites and their signs), then A, f and
  // sigmoid(A) at y for the whole block.
  blk.moves.clear();
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    ch.log_fwd = ch.cfg.factorised() ? draw_factorised(ch) : draw_path(ch);
    ch.bx_y = ch.bx;
    for (size_t k = 0; k < ch.moved.size(); ++k) ch.bx_y += ch.sign[k] * model.b[ch.moved[k]];
    blk.moves.push_back({ch.A.data(), ch.A_y.data(), ch.moved.data(), ch.sign.data(), int64_t(ch.moved.size())});
  }
  move_preactivations(columns_, blk.moves.data(), int64_t(blk.moves.size()));
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    ch.f_y = ch.bx_y + softplus_sum_and_sigmoid(ch.A_y.data(), H, &blk.S[size_t((c - blk.begin) * H)]);
  }
  // 2. Gradients and proposal tables at every proposal of the block.
  gradient_rows(blk, true);
  // 3. MH with the reverse proposal (DULA: always), adaptation during burn-in.
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    const double log_rev = log_reverse(ch);
    double log_acc = ch.f_y - ch.f + log_rev - ch.log_fwd;
    if (std::isnan(log_acc)) log_acc = -INFINITY;
    const double a = log_acc >= 0.0 ? 1.0 : std::exp(log_acc);
    const bool always = ch.cfg.kind == Kind::Dula;
    ++ch.steps;
    if (always ? std::isfinite(ch.f_y) : (log_acc >= 0.0 || ch.rng.uniform() < a)) {
      for (int64_t i : ch.moved) {
        ch.ones += ch.y[size_t(i)] ? 1 : -1;
        ch.hamming += ch.y[size_t(i)] != ch.ref[size_t(i)] ? 1 : -1;
        ch.x[size_t(i)] = ch.y[size_t(i)];
      }
      ch.A.swap(ch.A_y);
      ch.g.swap(ch.g_y);
      ch.tab.swap(ch.tab_y);
      ch.lw.swap(ch.lw_y);
      ch.f = ch.f_y;
      ch.bx = ch.bx_y;
      ++ch.accepted;
    } else {
      for (int64_t i : ch.moved) ch.y[size_t(i)] = ch.x[size_t(i)];
    }
    if (config.adaptive && t < rec.burn_in) {  // as GradientRun: Robbins-Monro, frozen average
      const double lo = config.path() ? 0.0 : -30.0, hi = config.path() ? std::log(double(D)) : 30.0;
      ch.theta = std::min(hi, std::max(lo, ch.theta + (a - config.target_acceptance) / std::pow(double(t + 1), 0.6)));
      if (2 * t >= rec.burn_in) {
        ch.theta_sum += ch.theta;
        ++ch.theta_n;
      }
      const double theta = t + 1 == rec.burn_in ? ch.theta_sum / double(ch.theta_n) : ch.theta;
      ch.cfg = config.with_log_scale(theta, D);
      if (config.factorised()) tables(ch, false);  // factorised tables depend on the scale
    }
  }
}

void RbmGradientRun::advance(int64_t t_begin, int64_t t_end, const Recording& rec) {
  const int64_t D = model.dim, nb = int64_t(blocks_.size());
  la::BlasSingleThreadScope single;  // one GEMM per block and thread
  for_each_unit(nb, [&](int64_t k) {
    Block& blk = blocks_[size_t(k)];
    for (int64_t t = t_begin; t < t_end; ++t) {
      step(blk, t, rec);
      if (chains_[size_t(blk.begin)].steps % kRefreshEvery == 0) {  // drop rounding drift in A
        for (int64_t c = blk.begin; c < blk.end; ++c) {
          RbmGradChain& ch = chains_[size_t(c)];
          model.preactivations(ch.x.data(), ch.A.data());
          ch.f = ch.bx + softplus_sum_and_sigmoid(ch.A.data(), model.n_hidden, blk.scratch.data());
        }
      }
      for (int64_t c = blk.begin; c < blk.end; ++c) {
        const RbmGradChain& ch = chains_[size_t(c)];
        rec.keep(t, c, [&](int64_t i) { return ch.x[size_t(i)]; }, ch.f, 2 * ch.ones - D, ch.hamming);
      }
    }
  });
}

ChainSummary RbmGradientRun::finish(int64_t c, uint8_t* state) const {
  const RbmGradChain& ch = chains_[size_t(c)];
  std::copy(ch.x.begin(), ch.x.end(), state);
  return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
}

}  // namespace ttsolve::mcmc
