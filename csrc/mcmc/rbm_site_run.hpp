// Single-site kernels on a Bernoulli RBM (mcmc/rbm_model.hpp), every one from exact flip
// differences kept from the hidden pre-activations A = c + W v of each chain:
//
// - gibbs (systematic / random scan): site i flips with probability sigmoid(delta_i), O(H);
// - random_walk (random / systematic site): flip accepted with min(1, e^delta_i), O(H);
// - hamming_ball: radius 1 on a random contiguous block, O(block H);
// - block_gibbs (random / systematic block of the contiguous partition, block_size b <= 16):
//   the block's 2^b visible configurations (hidden units summed out) drawn from their exact
//   joint conditional, O((2^b + b) H) by a Gray-code walk of single flips;
// - locally_balanced (sqrt, barker, max, min): site i proposed with weight g(e^delta_i) over
//   all D sites, MH with the reverse proposal. Every step needs all D differences at the
//   proposal, O(D H): chains are processed in fixed blocks so each row of e^W is read once
//   per hidden unit for the whole block (mcmc/rbm_model.hpp flip_deltas).
//
// A flip moves A by +-W[:, i]; A and f are recomputed from scratch now and then to drop
// rounding drift. Chain c draws from Philox (seed, first_chain + c): thread-count invariant.
#pragma once
#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/kinds.hpp"
#include "mcmc/rbm_model.hpp"
#include "mcmc/run.hpp"

namespace ttsolve::mcmc {

/// True for the kinds RbmSiteRun runs.
bool rbm_site_kind(Kind kind);

struct RbmSiteChain {
  Philox rng{0, 0};
  std::vector<uint8_t> x, ref;
  std::vector<double> A, sig, sbar;  // pre-activations and hidden terms at x
  std::vector<double> delta, lw, cdf;  // locally balanced: differences, log weights, cumulative weights
  std::vector<double> block_logit;   // block_gibbs: f(x with flip mask m on the block) - f(x), then weights
  double f = 0.0, bx = 0.0, log_z = 0.0;
  int64_t ones = 0, hamming = 0;
  uint64_t steps = 0, accepted = 0;
};

/// Flips site i of the chain, whose change of f is delta: A, the hidden terms, f and the
/// counters (the chain's f is recomputed from scratch with A at each refresh).
void flip_site(const RbmModel& model, const RbmFlipTables& tables, RbmSiteChain& ch, int64_t i, double delta);

/// Block Gibbs: ch.block_logit[m] = f(x ^ m) - f(x) for the 2^len flip masks m of the block
/// [start, start + len) (bit k = site start + k), from exact flip differences along a
/// Gray-code walk of flips applied to ch; ch is left at the walk's last configuration, whose
/// mask is returned. The kernel and its transition-row oracle both use this.
uint32_t block_walk(const RbmModel& model, const RbmFlipTables& tables, RbmSiteChain& ch, int64_t start, int64_t len);

/// After block_walk: ch.block_logit becomes the configurations' unnormalised conditional
/// weights e^{logit - max}, in place; returns their sum.
double block_weights(RbmSiteChain& ch);

/// The largest block_size of the RBM block Gibbs kernel (2^16 configurations per step).
inline constexpr int64_t kRbmMaxBlock = 16;

struct RbmSiteRun final : Run {
  RbmModel model;
  Kind kind = Kind::GibbsRandom;
  int64_t block_size = 1;  // hamming_ball, block_gibbs
  std::vector<RbmSiteChain> chains;

  int64_t dim() const override { return model.dim; }
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override;
  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override;
  ChainSummary finish(int64_t c, uint8_t* state) const override;

 private:
  struct Block {
    int64_t begin = 0, end = 0;
    std::vector<uint8_t> Y;                       // proposals (rows x D)
    std::vector<double> A, sig, sbar, delta, work;  // at the proposals
    std::vector<double> f, bx;
    std::vector<double> lw, cdf;  // weights at the proposal being tested (swapped in on acceptance)
    std::vector<int64_t> pick;
  };
  RbmFlipTables tables_;
  std::vector<Block> blocks_;
  bool balanced() const;
  bool block_gibbs() const;
  void refresh(Block& blk);
  void balanced_step(Block& blk);
  void site_step(RbmSiteChain& ch);
  void block_step(RbmSiteChain& ch);
  void flip(RbmSiteChain& ch, int64_t i, double delta) { flip_site(model, tables_, ch, i, delta); }
  uint64_t refresh_period() const;
};

/// Log proposal weights log g(e^delta) of the locally balanced kind for D differences into
/// lw, cumulative weights e^{lw - max} into cdf; returns the log normaliser.
double balanced_weights(Kind kind, const double* delta, int64_t D, double* lw, double* cdf);

}  // namespace ttsolve::mcmc
