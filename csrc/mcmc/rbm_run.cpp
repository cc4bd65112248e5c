#include "mcmc/rbm_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/blas_runtime.hpp"
#include "common/lapack.hpp"
#include "common/parallel.hpp"
#include "mcmc/rbm_kernels.hpp"

namespace ttsolve::mcmc {

namespace {

// Chains per block: a fixed split (thread-count invariant) with blocks big enough that BLAS
// packing W once per product is small next to the product itself.
constexpr int64_t kBlockRows = 50;
constexpr uint64_t kRefreshEvery = 256;  // exact recomputation of A (drops rounding drift; ~1% of the step)

// Inverse-CDF draw: first index whose cumulative weight reaches u * total.
inline int64_t draw(const std::vector<double>& cdf, double u) {
  const int64_t D = int64_t(cdf.size());
  const int64_t i = int64_t(std::lower_bound(cdf.begin(), cdf.end(), u * cdf.back()) - cdf.begin());
  return std::min(i, D - 1);
}

constexpr int64_t kCdfChunk = 16;  // prefix sums by chunks: independent add chains overlap

}  // namespace

void rbm_gwg_proposal(const RbmModel& m, const uint8_t* x, const float* G, int64_t stride, double* half,
                      double* cdf, double& log_z) {
  const int64_t D = m.dim;
  for (int64_t i = 0; i < D; ++i) half[i] = (0.5 - double(x[i])) * (m.b[i] + double(G[i * stride]));  // +-g / 2
  double top4[4] = {half[0], half[0], half[0], half[0]};  // max is exact in any order
  int64_t i = 0;
  for (; i + 4 <= D; i += 4)
    for (int j = 0; j < 4; ++j) top4[j] = std::max(top4[j], half[i + j]);
  for (; i < D; ++i) top4[0] = std::max(top4[0], half[i]);
  const double top = std::max(std::max(top4[0], top4[1]), std::max(top4[2], top4[3]));
  for (int64_t k = 0; k < D; ++k) cdf[k] = half[k] - top;
  exp_nonpositive(cdf, cdf, D);  // in place: the same weights enter the draw and both MH sides
  // Cumulative weights: each chunk's own running sum (the chunks' chains are independent),
  // then the previous chunks' total added to it, so cdf stays non-decreasing.
  for (int64_t c0 = 0; c0 < D; c0 += kCdfChunk) {
    const int64_t end = std::min(D, c0 + kCdfChunk);
    double run = 0.0;
    for (int64_t k = c0; k < end; ++k) cdf[k] = (run += cdf[k]);
  }
  for (int64_t c0 = kCdfChunk; c0 < D; c0 += kCdfChunk) {
    const double offset = cdf[c0 - 1];
    const int64_t end = std::min(D, c0 + kCdfChunk);
    for (int64_t k = c0; k < end; ++k) cdf[k] += offset;
  }
  log_z = top + std::log(cdf[D - 1]);
}

std::vector<int64_t> rbm_block_bounds(int64_t n_chains) {
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  const int64_t nb = std::max<int64_t>(1, (n_chains + kBlockRows / 2) / kBlockRows);
  std::vector<int64_t> bounds(size_t(nb + 1));
  for (int64_t k = 0; k <= nb; ++k) bounds[k] = k * n_chains / nb;
  return bounds;
}

std::vector<std::pair<int64_t, int64_t>> rbm_shard_blocks(int64_t n_chains, uint64_t first_chain,
                                                          int64_t n_chains_total) {
  const int64_t total = n_chains_total > 0 ? n_chains_total : n_chains, first = int64_t(first_chain);
  if (first + n_chains > total) throw std::invalid_argument("first_chain + n_chains exceeds n_chains_total");
  std::vector<std::pair<int64_t, int64_t>> out;
  const std::vector<int64_t> bounds = rbm_block_bounds(total);
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    const int64_t begin = std::max(bounds[k], first) - first, end = std::min(bounds[k + 1], first + n_chains) - first;
    if (end > begin) out.emplace_back(begin, end);
  }
  return out;
}

void RbmRun::start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) {
  model.validate();
  if (kind != Kind::Gwg)
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(kind).kernel + "' has no compiled RBM step");
  if (n_flips < 1) throw std::invalid_argument("n_flips must be >= 1");
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  const int64_t D = model.dim, H = model.n_hidden;
  model.prepare();
  chains.assign(size_t(n_chains), RbmChain{});
  for (int64_t k = 0; k < n_chains; ++k) {
    RbmChain& ch = chains[k];
    ch.rng = Philox(seed, first_chain + uint64_t(k));
    ch.x.assign(init + k * D, init + (k + 1) * D);
    ch.ref.assign(size_t(D), 0);
    if (const uint8_t* r = reference_row(reference, k)) ch.ref.assign(r, r + D);
    ch.A.resize(size_t(H));
    ch.A_new.resize(size_t(H));
    for (auto* v : {&ch.half, &ch.half_new, &ch.cdf, &ch.cdf_new}) v->resize(size_t(D));
  }
  blocks_.clear();
  for (const auto& [begin, end] : rbm_shard_blocks(n_chains, first_chain, n_chains_total)) {
    Block blk;
    blk.begin = begin;
    blk.end = end;
    blk.S.resize(size_t((end - begin) * H));
    blk.G.resize(size_t((end - begin) * D));
    blocks_.push_back(std::move(blk));
  }
  const int64_t nb = int64_t(blocks_.size());
  la::BlasSingleThreadScope single;
  for_each_unit(nb, [&](int64_t k) { refresh(blocks_[k]); });
}

void RbmRun::refresh(Block& blk) {
  const int64_t D = model.dim, H = model.n_hidden, rows = blk.end - blk.begin;
  for (int64_t r = 0; r < rows; ++r) {
    RbmChain& ch = chains[blk.begin + r];
    std::copy(model.c.begin(), model.c.end(), ch.A.begin());
    ch.bx = 0.0;
    ch.ones = ch.hamming = 0;
    for (int64_t i = 0; i < D; ++i) {
      ch.ones += ch.x[i];
      ch.hamming += ch.x[i] != ch.ref[i];
      if (!ch.x[i]) continue;
      ch.bx += model.b[i];
      const double* col = &model.WT[i * H];
      for (int64_t h = 0; h < H; ++h) ch.A[h] += col[h];
    }
    ch.f = ch.bx + softplus_sum_and_sigmoid(ch.A.data(), H, &blk.S[r * H]);
  }
  rbm_gradient_product(model, rows, blk.S.data(), blk.G.data());
  for (int64_t r = 0; r < rows; ++r) {
    RbmChain& ch = chains[blk.begin + r];
    rbm_gwg_proposal(model, ch.x.data(), &blk.G[r], rows, ch.half.data(), ch.cdf.data(), ch.log_z);
  }
}

void RbmRun::step(Block& blk) {
  const int64_t D = model.dim, H = model.n_hidden, rows = blk.end - blk.begin;
  // 1. Draw the flips, move A by the flipped columns, f and sigmoid(A) at the proposal.
  for (int64_t r = 0; r < rows; ++r) {
    RbmChain& ch = chains[blk.begin + r];
    ch.draws.clear();
    ch.log_fwd = 0.0;
    for (int64_t n = 0; n < n_flips; ++n) {
      const int64_t i = draw(ch.cdf, ch.rng.uniform());
      ch.draws.push_back(i);
      ch.log_fwd += ch.half[i] - ch.log_z;
    }
    ch.picks.assign(ch.draws.begin(), ch.draws.end());  // repeated draws flip once
    if (n_flips > 1) {
      std::sort(ch.picks.begin(), ch.picks.end());
      ch.picks.erase(std::unique(ch.picks.begin(), ch.picks.end()), ch.picks.end());
    }
    ch.bx_new = ch.bx;
    for (size_t k = 0; k < ch.picks.size(); ++k) {  // A_new = A + sum of the flipped columns, one pass each
      const int64_t i = ch.picks[k];
      const double sign = ch.x[i] ? -1.0 : 1.0;
      ch.bx_new += sign * model.b[i];
      const double* col = &model.WT[i * H];
      const double* from = k == 0 ? ch.A.data() : ch.A_new.data();
      for (int64_t h = 0; h < H; ++h) ch.A_new[h] = from[h] + sign * col[h];
    }
    ch.f_new = ch.bx_new + softplus_sum_and_sigmoid(ch.A_new.data(), H, &blk.S[r * H]);
    for (int64_t i : ch.picks) ch.x[i] ^= 1;  // x now holds the proposal
  }
  // 2. Gradients of every proposal in one product.
  rbm_gradient_product(model, rows, blk.S.data(), blk.G.data());
  // 3. Reverse proposal and Metropolis-Hastings test.
  for (int64_t r = 0; r < rows; ++r) {
    RbmChain& ch = chains[blk.begin + r];
    rbm_gwg_proposal(model, ch.x.data(), &blk.G[r], rows, ch.half_new.data(), ch.cdf_new.data(), ch.log_z_new);
    double log_rev = 0.0;
    for (int64_t i : ch.draws) log_rev += ch.half_new[i] - ch.log_z_new;
    const double log_accept = ch.f_new - ch.f + log_rev - ch.log_fwd;
    if (std::log(ch.rng.uniform_pos()) < log_accept) {
      ch.A.swap(ch.A_new);
      ch.half.swap(ch.half_new);
      ch.cdf.swap(ch.cdf_new);
      ch.f = ch.f_new;
      ch.bx = ch.bx_new;
      ch.log_z = ch.log_z_new;
      for (int64_t i : ch.picks) {
        ch.ones += ch.x[i] ? 1 : -1;
        ch.hamming += ch.x[i] != ch.ref[i] ? 1 : -1;
      }
      ++ch.accepted;
    } else {
      for (int64_t i : ch.picks) ch.x[i] ^= 1;
    }
    ++ch.steps;
  }
}

void RbmRun::advance(int64_t t_begin, int64_t t_end, const Recording& rec) {
  const int64_t D = model.dim, nb = int64_t(blocks_.size());
  la::BlasSingleThreadScope single;  // one GEMM per block and thread
  for_each_unit(nb, [&](int64_t k) {
    Block& blk = blocks_[k];
    for (int64_t t = t_begin; t < t_end; ++t) {
      step(blk);
      if (chains[blk.begin].steps % kRefreshEvery == 0) refresh(blk);
      for (int64_t c = blk.begin; c < blk.end; ++c) {
        const RbmChain& ch = chains[c];
        rec.keep(t, c, [&](int64_t i) { return ch.x[i]; }, ch.f, 2 * ch.ones - D, ch.hamming);
      }
    }
  });
}

ChainSummary RbmRun::finish(int64_t c, uint8_t* state) const {
  const RbmChain& ch = chains[c];
  std::copy(ch.x.begin(), ch.x.end(), state);
  return {acceptance_rate(ch.accepted, ch.steps), model.log_prob(ch.x.data())};
}

}  // namespace ttsolve::mcmc
