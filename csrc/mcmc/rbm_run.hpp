// Gibbs-With-Gradients on a Bernoulli RBM, f(v) = b . v + sum_h softplus(W v + c)_h.
//
// Chains are split into a fixed number of blocks (independent of the thread count); each
// block advances on one thread, and the gradients of all its chains' proposed states come
// from one matrix-matrix product sigmoid(A) W through la::gemm. Pre-activations A = W v + c
// are kept per chain and updated by +-column i of W when site i flips (O(n_hidden)).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/kinds.hpp"
#include "mcmc/rbm_model.hpp"
#include "mcmc/run.hpp"

namespace ttsolve::mcmc {

struct RbmChain {
  Philox rng{0, 0};
  std::vector<uint8_t> x, ref;
  std::vector<double> A, A_new;        // pre-activations at x and at the proposal
  std::vector<double> half, half_new;  // d / 2 = -(2x - 1) grad f / 2 at x and proposal
  std::vector<double> cdf, cdf_new;    // cumulative exp(half - max)
  double f = 0.0, f_new = 0.0, bx = 0.0, bx_new = 0.0, log_z = 0.0, log_z_new = 0.0, log_fwd = 0.0;
  int64_t ones = 0, hamming = 0;
  uint64_t steps = 0, accepted = 0;
  std::vector<int64_t> draws, picks;
};

/// GWG's proposal softmax(d / 2) at x from its gradient G[i * stride] (rbm_gradient_product): half = d / 2 (D values), cdf
/// the non-decreasing cumulative weights exp(half - max) that the inverse-CDF draw searches,
/// log_z = log of their total plus the max. Forward and reverse MH terms use these same
/// numbers (tests: the exact transition rows of testing/rbm_transition_rows.cpp).
void rbm_gwg_proposal(const RbmModel& m, const uint8_t* x, const float* G, int64_t stride, double* half,
                      double* cdf, double& log_z);

/// Block boundaries b_0 = 0 < ... < b_nb = n_chains of a whole run of n_chains chains (a
/// fixed split, independent of the thread count); shards must start and end on them.
std::vector<int64_t> rbm_block_bounds(int64_t n_chains);

/// The chain blocks [begin, end) (local indices) of a run of n_chains chains that is chains
/// [first_chain, first_chain + n_chains) of a run of n_chains_total (0: this run is the whole
/// run): the whole run's rbm_block_bounds intersected with this run, so a shard aligned on
/// those bounds runs the whole run's GEMM shapes bit for bit. std::invalid_argument if the
/// shard does not fit in the whole run.
std::vector<std::pair<int64_t, int64_t>> rbm_shard_blocks(int64_t n_chains, uint64_t first_chain,
                                                          int64_t n_chains_total);

struct RbmRun final : Run {
  RbmModel model;
  Kind kind = Kind::Gwg;  // gwg only (single-site kinds: rbm_site_run.hpp)
  int64_t n_flips = 1;
  std::vector<RbmChain> chains;

  int64_t dim() const override { return model.dim; }
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override;
  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override;
  ChainSummary finish(int64_t c, uint8_t* state) const override;

 private:
  struct Block {
    int64_t begin = 0, end = 0;
    // sigmoid(A) (rows x H) and (S W)^T (D x rows) in float32: the gradient only steers the
    // proposal, whose probabilities are computed from the same numbers both ways.
    std::vector<float> S, G;
  };
  std::vector<Block> blocks_;
  void refresh(Block& blk);  // exact A, f, gradient and proposal from x
  void step(Block& blk);
};

}  // namespace ttsolve::mcmc
