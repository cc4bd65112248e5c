#include "mcmc/rbm_site_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "mcmc/gradient_chain.hpp"     // draw_from
#include "mcmc/quadratic_samplers.hpp"  // log_weight: the balancing functions

namespace ttsolve::mcmc {

namespace {

constexpr int64_t kBalancedRows = 10;    // chains per block for the O(D H) kinds
constexpr int64_t kSiteRows = 4;         // chains per block for the O(H) kinds
constexpr uint64_t kRefreshBalanced = 64;
constexpr uint64_t kRefreshSite = 1024;  // also resets the multiplicative drift of sig / sbar

inline int64_t draw(const double* cdf, int64_t D, double u) {
  const int64_t i = int64_t(std::lower_bound(cdf, cdf + D, u * cdf[D - 1]) - cdf);
  return std::min(i, D - 1);
}

}  // namespace

bool rbm_site_kind(Kind kind) {
  switch (kind) {
    case Kind::GibbsRandom:
    case Kind::GibbsSystematic:
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic:
    case Kind::HammingBall:
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin:
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic:
      return true;
    default:
      return false;
  }
}

double balanced_weights(Kind kind, const double* delta, int64_t D, double* lw, double* cdf) {
  double top = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < D; ++i) {
    lw[i] = log_weight(kind, delta[i]);
    top = std::max(top, lw[i]);
  }
  double run = 0.0;
  for (int64_t i = 0; i < D; ++i) {
    run += std::exp(lw[i] - top);
    cdf[i] = run;
  }
  return top + std::log(run);
}

bool RbmSiteRun::balanced() const {
  return kind == Kind::LbSqrt || kind == Kind::LbBarker || kind == Kind::LbMax || kind == Kind::LbMin;
}

void RbmSiteRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  if (!rbm_site_kind(kind))
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(kind).kernel +
                                "' is not a single-site RBM kind");
  if (kind == Kind::HammingBall && (block_size < 1 || block_size > model.dim))
    throw std::invalid_argument("block_size must be in [1, dim]");
  if (block_gibbs() &&
      (block_size < 1 || block_size > std::min(model.dim, kRbmMaxBlock)))
    throw std::invalid_argument("block_size must be in [1, min(dim, " + std::to_string(kRbmMaxBlock) + ")]");
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  const int64_t D = model.dim, H = model.n_hidden;
  model.prepare();
  tables_.prepare(model, balanced(), !balanced());
  chains.assign(size_t(n_chains), RbmSiteChain{});
  for (int64_t k = 0; k < n_chains; ++k) {
    RbmSiteChain& ch = chains[k];
    ch.rng = Philox(seed, first_chain + uint64_t(k));
    ch.x.assign(init + k * D, init + (k + 1) * D);
    ch.ref.assign(size_t(D), 0);
    if (const uint8_t* r = reference_row(reference, k)) ch.ref.assign(r, r + D);
    for (auto* v : {&ch.A, &ch.sig, &ch.sbar}) v->resize(size_t(H));
    if (balanced())
      for (auto* v : {&ch.delta, &ch.lw, &ch.cdf}) v->resize(size_t(D));
  }
  const int64_t rows = balanced() ? kBalancedRows : kSiteRows;
  const int64_t nb = std::max<int64_t>(1, (n_chains + rows - 1) / rows);
  blocks_.assign(size_t(nb), Block{});
  for (int64_t k = 0; k < nb; ++k) {
    Block& blk = blocks_[k];
    blk.begin = k * n_chains / nb;
    blk.end = (k + 1) * n_chains / nb;
    const int64_t R = blk.end - blk.begin;
    if (balanced()) {
      blk.Y.resize(size_t(R * D));
      for (auto* v : {&blk.A, &blk.sig, &blk.sbar}) v->resize(size_t(R * H));
      blk.delta.resize(size_t(R * D));
      blk.work.resize(size_t(3 * R * D));
      blk.f.resize(size_t(R));
      blk.bx.resize(size_t(R));
      blk.pick.resize(size_t(R));
      blk.lw.resize(size_t(D));
      blk.cdf.resize(size_t(D));
    }
  }
  for_each_unit(nb, [&](int64_t k) { refresh(blocks_[k]); });
}

void RbmSiteRun::refresh(Block& blk) {
  const int64_t D = model.dim, H = model.n_hidden;
  for (int64_t c = blk.begin; c < blk.end; ++c) {
    RbmSiteChain& ch = chains[c];
    model.preactivations(ch.x.data(), ch.A.data());
    ch.bx = 0.0;
    ch.ones = ch.hamming = 0;
    for (int64_t i = 0; i < D; ++i) {
      ch.ones += ch.x[i];
      ch.hamming += ch.x[i] != ch.ref[i];
      if (ch.x[i]) ch.bx += model.b[i];
    }
    ch.f = ch.bx + hidden_terms(ch.A.data(), H, ch.sig.data(), ch.sbar.data());
  }
  if (!balanced()) return;
  const int64_t R = blk.end - blk.begin;
  for (int64_t r = 0; r < R; ++r) {
    const RbmSiteChain& ch = chains[blk.begin + r];
    std::copy(ch.x.begin(), ch.x.end(), &blk.Y[r * D]);
    std::copy(ch.sig.begin(), ch.sig.end(), &blk.sig[r * H]);
    std::copy(ch.sbar.begin(), ch.sbar.end(), &blk.sbar[r * H]);
  }
  flip_deltas(model, tables_, R, blk.Y.data(), blk.sig.data(), blk.sbar.data(), blk.delta.data(), blk.work.data());
  for (int64_t r = 0; r < R; ++r) {
    RbmSiteChain& ch = chains[blk.begin + r];
    std::copy(&blk.delta[r * D], &blk.delta[r * D] + D, ch.delta.begin());
    ch.log_z = balanced_weights(kind, ch.delta.data(), D, ch.lw.data(), ch.cdf.data());
  }
}

void flip_site(const RbmModel& model, const RbmFlipTables& tables, RbmSiteChain& ch, int64_t i, double delta) {
  const int64_t H = model.n_hidden;
  const double sign = ch.x[i] ? -1.0 : 1.0;
  const double* col = &model.WT[i * H];
  double amax = 0.0;
  for (int64_t h = 0; h < H; ++h) {
    ch.A[h] += sign * col[h];
    amax = std::max(amax, std::abs(ch.A[h]));
  }
  // sig, sbar > e^-600 stay normal doubles, and the update keeps their relative accuracy
  if (amax < 600.0) flip_hidden_probs(&tables.EWT[i * H], ch.x[i] == 0, H, ch.sig.data(), ch.sbar.data());
  else hidden_probs(ch.A.data(), H, ch.sig.data(), ch.sbar.data());
  ch.bx += sign * model.b[i];
  ch.x[i] ^= 1;
  ch.ones += ch.x[i] ? 1 : -1;
  ch.hamming += ch.x[i] != ch.ref[i] ? 1 : -1;
  ch.f += delta;
}

uint32_t block_walk(const RbmModel& model, const RbmFlipTables& tables, RbmSiteChain& ch, int64_t start, int64_t len) {
  const uint32_t n = uint32_t(1) << len;
  ch.block_logit.resize(n);
  ch.block_logit[0] = 0.0;
  uint32_t mask = 0;
  double run = 0.0;
  for (uint32_t g = 1; g < n; ++g) {  // Gray code: step g flips bit ctz(g)
    const int k = __builtin_ctz(g);
    const double d = flip_delta(model, tables, ch.x.data(), ch.sig.data(), ch.sbar.data(), start + k);
    flip_site(model, tables, ch, start + k, d);
    run += d;
    mask ^= uint32_t(1) << k;
    ch.block_logit[mask] = run;
  }
  return mask;
}

double block_weights(RbmSiteChain& ch) {
  std::vector<double>& w = ch.block_logit;
  const double top = *std::max_element(w.begin(), w.end());
  double total = 0.0;
  for (double& v : w) total += (v = std::exp(v - top));
  return total;
}

bool RbmSiteRun::block_gibbs() const {
  return kind == Kind::BlockGibbsRandom || kind == Kind::BlockGibbsSystematic;
}

// Refresh A, the hidden terms and f from scratch every ~1024 flips of a chain (block Gibbs
// flips 2^b - 1 + up to b sites per step).
uint64_t RbmSiteRun::refresh_period() const {
  if (balanced()) return kRefreshBalanced;
  if (block_gibbs()) return std::max<uint64_t>(1, kRefreshSite >> std::min<int64_t>(block_size, 10));
  return kRefreshSite;
}

// The block's configurations by block_walk, one draw from their exact conditional (one
// uniform against the cumulative weights), then a walk to the drawn one.
void RbmSiteRun::block_step(RbmSiteChain& ch) {
  const int64_t D = model.dim;
  const int64_t n_blocks = (D + block_size - 1) / block_size;
  const int64_t blk = kind == Kind::BlockGibbsSystematic ? int64_t(ch.steps % uint64_t(n_blocks))
                                                         : int64_t(ch.rng.below(uint64_t(n_blocks)));
  const int64_t start = blk * block_size, len = std::min(block_size, D - start);
  const uint32_t at = block_walk(model, tables_, ch, start, len);
  const double total = block_weights(ch);
  const uint32_t pick =
      uint32_t(draw_from(ch.block_logit.data(), int64_t(ch.block_logit.size()), ch.rng.uniform() * total));
  for (uint32_t diff = at ^ pick; diff; diff &= diff - 1) {
    const int64_t i = start + __builtin_ctz(diff);
    flip(ch, i, flip_delta(model, tables_, ch.x.data(), ch.sig.data(), ch.sbar.data(), i));
  }
  if (pick != 0) ++ch.accepted;
  ++ch.steps;
}

void RbmSiteRun::site_step(RbmSiteChain& ch) {
  const int64_t D = model.dim;
  const uint8_t* x = ch.x.data();
  switch (kind) {
    case Kind::GibbsRandom:
    case Kind::GibbsSystematic: {
      const int64_t i = kind == Kind::GibbsSystematic ? int64_t(ch.steps % uint64_t(D))
                                                      : int64_t(ch.rng.below(uint64_t(D)));
      const double d = flip_delta(model, tables_, x, ch.sig.data(), ch.sbar.data(), i);
      if (std::log(ch.rng.uniform_pos()) < log_weight(Kind::LbBarker, d)) {  // P(flip) = sigmoid(d)
        flip(ch, i, d);
        ++ch.accepted;
      }
      break;
    }
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic: {
      const int64_t i = kind == Kind::RandomWalkSystematic ? int64_t(ch.steps % uint64_t(D))
                                                           : int64_t(ch.rng.below(uint64_t(D)));
      const double d = flip_delta(model, tables_, x, ch.sig.data(), ch.sbar.data(), i);
      if (d >= 0.0 || std::log(ch.rng.uniform_pos()) < d) {
        flip(ch, i, d);
        ++ch.accepted;
      }
      break;
    }
    case Kind::HammingBall: {
      // u uniform in the radius-1 ball of x within a random block, then x' ~ pi on the
      // ball around u (Gumbel-max over staying and the block's flips).
      const int64_t n_blocks = (D + block_size - 1) / block_size;
      const int64_t start = int64_t(ch.rng.below(uint64_t(n_blocks))) * block_size;
      const int64_t len = std::min(block_size, D - start);
      const int64_t aux = int64_t(ch.rng.below(uint64_t(len + 1)));  // len: u = x
      if (aux < len)
        flip(ch, start + aux, flip_delta(model, tables_, x, ch.sig.data(), ch.sbar.data(), start + aux));
      int64_t best = len;
      double best_key = ch.rng.gumbel(), best_delta = 0.0;
      for (int64_t k = 0; k < len; ++k) {
        const double d = flip_delta(model, tables_, ch.x.data(), ch.sig.data(), ch.sbar.data(), start + k);
        const double key = d + ch.rng.gumbel();
        if (key > best_key) { best_key = key; best = k; best_delta = d; }
      }
      if (best < len) flip(ch, start + best, best_delta);
      if (!(best == aux || (aux == len && best == len))) ++ch.accepted;
      break;
    }
    default:
      break;
  }
  ++ch.steps;
}

void RbmSiteRun::balanced_step(Block& blk) {
  const int64_t D = model.dim, H = model.n_hidden, R = blk.end - blk.begin;
  // 1. Draw a site per chain; the proposal's A, hidden terms and f.
  for (int64_t r = 0; r < R; ++r) {
    RbmSiteChain& ch = chains[blk.begin + r];
    const int64_t i = draw(ch.cdf.data(), D, ch.rng.uniform());
    blk.pick[r] = i;
    uint8_t* y = &blk.Y[r * D];
    std::copy(ch.x.begin(), ch.x.end(), y);
    const double sign = y[i] ? -1.0 : 1.0;
    y[i] ^= 1;
    double* A = &blk.A[r * H];
    const double* col = &model.WT[i * H];
    for (int64_t h = 0; h < H; ++h) A[h] = ch.A[h] + sign * col[h];
    blk.bx[r] = ch.bx + sign * model.b[i];
    blk.f[r] = blk.bx[r] + hidden_terms(A, H, &blk.sig[r * H], &blk.sbar[r * H]);
  }
  // 2. Every site's difference at every proposal.
  flip_deltas(model, tables_, R, blk.Y.data(), blk.sig.data(), blk.sbar.data(), blk.delta.data(), blk.work.data());
  // 3. MH with the reverse proposal: log pi(y) / pi(x) + log q(i | y) - log q(i | x).
  std::vector<double>& lw = blk.lw;
  std::vector<double>& cdf = blk.cdf;
  for (int64_t r = 0; r < R; ++r) {
    RbmSiteChain& ch = chains[blk.begin + r];
    const int64_t i = blk.pick[r];
    const double* dn = &blk.delta[r * D];
    const double log_z = balanced_weights(kind, dn, D, lw.data(), cdf.data());
    const double log_accept = (blk.f[r] - ch.f) + (lw[i] - log_z) - (ch.lw[i] - ch.log_z);
    if (log_accept >= 0.0 || std::log(ch.rng.uniform_pos()) < log_accept) {
      ch.x[i] ^= 1;
      ch.ones += ch.x[i] ? 1 : -1;
      ch.hamming += ch.x[i] != ch.ref[i] ? 1 : -1;
      std::copy(&blk.A[r * H], &blk.A[r * H] + H, ch.A.begin());
      std::copy(&blk.sig[r * H], &blk.sig[r * H] + H, ch.sig.begin());
      std::copy(&blk.sbar[r * H], &blk.sbar[r * H] + H, ch.sbar.begin());
      std::copy(dn, dn + D, ch.delta.begin());
      ch.lw.swap(lw);
      ch.cdf.swap(cdf);
      ch.f = blk.f[r];
      ch.bx = blk.bx[r];
      ch.log_z = log_z;
      ++ch.accepted;
    }
    ++ch.steps;
  }
}

void RbmSiteRun::advance(int64_t t_begin, int64_t t_end, const Recording& rec) {
  const int64_t D = model.dim, nb = int64_t(blocks_.size());
  for_each_unit(nb, [&](int64_t k) {
    Block& blk = blocks_[k];
    for (int64_t t = t_begin; t < t_end; ++t) {
      if (balanced()) {
        balanced_step(blk);
      } else if (block_gibbs()) {
        for (int64_t c = blk.begin; c < blk.end; ++c) block_step(chains[c]);
      } else {
        for (int64_t c = blk.begin; c < blk.end; ++c) site_step(chains[c]);
      }
      if (chains[blk.begin].steps % refresh_period() == 0) refresh(blk);
      for (int64_t c = blk.begin; c < blk.end; ++c) {
        const RbmSiteChain& ch = chains[c];
        rec.keep(t, c, [&](int64_t i) { return ch.x[i]; }, ch.f, 2 * ch.ones - D, ch.hamming);
      }
    }
  });
}

ChainSummary RbmSiteRun::finish(int64_t c, uint8_t* state) const {
  const RbmSiteChain& ch = chains[c];
  std::copy(ch.x.begin(), ch.x.end(), state);
  return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
}

}  // namespace ttsolve::mcmc
