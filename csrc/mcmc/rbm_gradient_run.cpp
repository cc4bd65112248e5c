#include "mcmc/rbm_gradient_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/blas_runtime.hpp"
#include "common/lapack.hpp"
#include "mcmc/gradient_run.hpp"  // bernoulli: the branch-free exact draw
#include "mcmc/rbm_run.hpp"       // rbm_shard_blocks: the RBM engines' chain blocks

namespace ttsolve::mcmc {

namespace {
constexpr uint64_t kRefreshEvery = 64;
}  // namespace

void RbmGradientRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  config.validate(model.dim, 2);
  if (!config.factorised())
    throw std::invalid_argument(std::string("kind '") + kind_row(config.kind).kernel +
                                "' is not a factorised gradient kind");
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  model.prepare();
  const int64_t D = model.dim, H = model.n_hidden;
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

// G = S W for the block, then each chain's gradient table and proposal table (at x or y).
void RbmGradientRun::gradient_rows(Block& blk, bool at_proposal) {
  const int64_t D = model.dim, H = model.n_hidden, rows = blk.end - blk.begin;
  la::gemm(false, false, rows, D, H, 1.0f, blk.S.data(), H, model.W32.data(), D, 0.0f, blk.G.data(), D);
  for (int64_t r = 0; r < rows; ++r) {
    RbmGradChain& ch = chains_[size_t(blk.begin + r)];
    std::vector<double>& g = at_proposal ? ch.g_y : ch.g;
    const float* G = &blk.G[size_t(r * D)];
    for (int64_t i = 0; i < D; ++i) {
      g[size_t(2 * i)] = 0.0;
      g[size_t(2 * i + 1)] = model.b[i] + double(G[i]);
    }
    factorised_table(ch.cfg, D, 2, at_proposal ? ch.y.data() : ch.x.data(), g.data(),
                     at_proposal ? ch.tab_y.data() : ch.tab.data());
  }
}

void RbmGradientRun::step(Block& blk, int64_t t, const Recording& rec) {
  const int64_t D = model.dim, H = model.n_hidden;
  // 1. Every site of every chain moves independently (branch-free on the outcome: y_i =
  // x_i ^ move, the site is written to `moved` always and counted when it moves); log q(y | x)
  // as a product of the chosen entries, two running products, renormalised before underflow.
  blk.moves.clear();
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    ch.moved.resize(size_t(D));
    ch.sign.resize(size_t(D));
    int64_t* moved = ch.moved.data();
    double* sign = ch.sign.data();
    const uint8_t* x = ch.x.data();
    uint8_t* y = ch.y.data();
    const double* tab = ch.tab.data();
    size_t n = 0;
    double log_fwd = 0.0, prod0 = 1.0, prod1 = 1.0;
    for (int64_t i = 0; i < D; ++i) {
      const uint8_t a = x[i];
      const uint8_t move = uint8_t(bernoulli(ch.rng, tab[2 * i + 1 - a]));
      const uint8_t b = uint8_t(a ^ move);
      moved[n] = i;
      sign[n] = a ? -1.0 : 1.0;
      n += move;
      y[i] = b;
      double& prod = (i & 1) ? prod1 : prod0;
      prod *= tab[2 * i + b];
      if (prod < 1e-200) { log_fwd += std::log(prod); prod = 1.0; }
    }
    ch.moved.resize(n);
    ch.log_fwd = log_fwd + std::log(prod0) + std::log(prod1);
    ch.bx_y = ch.bx;
    for (size_t k = 0; k < n; ++k) ch.bx_y += sign[k] * model.b[moved[k]];
    blk.moves.push_back({ch.A.data(), ch.A_y.data(), moved, sign, int64_t(n)});
  }
  move_preactivations(model.WT.data(), H, blk.moves.data(), int64_t(blk.moves.size()));
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    ch.f_y = ch.bx_y + softplus_sum_and_sigmoid(ch.A_y.data(), H, &blk.S[size_t((c - blk.begin) * H)]);
  }
  // 2. Gradients and proposal tables at every proposal of the block.
  gradient_rows(blk, true);
  // 3. MH with the reverse proposal (DULA: always), adaptation during burn-in.
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmGradChain& ch = chains_[size_t(c)];
    double log_rev = 0.0, prod0 = 1.0, prod1 = 1.0;
    const double* tab_y = ch.tab_y.data();
    const uint8_t* x = ch.x.data();
    for (int64_t i = 0; i < D; ++i) {
      double& prod = (i & 1) ? prod1 : prod0;
      prod *= tab_y[2 * i + x[i]];
      if (prod < 1e-200) { log_rev += std::log(prod); prod = 1.0; }
    }
    log_rev += std::log(prod0) + std::log(prod1);
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
      ch.f = ch.f_y;
      ch.bx = ch.bx_y;
      ++ch.accepted;
    } else {
      for (int64_t i : ch.moved) ch.y[size_t(i)] = ch.x[size_t(i)];
    }
    if (config.adaptive && t < rec.burn_in) {  // as GradientRun: Robbins-Monro, frozen average
      ch.theta = std::min(30.0, std::max(-30.0, ch.theta + (a - config.target_acceptance) /
                                                                std::pow(double(t + 1), 0.6)));
      if (2 * t >= rec.burn_in) {
        ch.theta_sum += ch.theta;
        ++ch.theta_n;
      }
      const double theta = t + 1 == rec.burn_in ? ch.theta_sum / double(ch.theta_n) : ch.theta;
      ch.cfg = config.with_log_scale(theta, D);
      factorised_table(ch.cfg, D, 2, ch.x.data(), ch.g.data(), ch.tab.data());
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
