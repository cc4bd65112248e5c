// DMALA / DULA / DLMC / PAS / multi-flip GWG on a Bernoulli RBM with chains batched into
// matrix products: the proposals of mcmc/gradient_kernels.hpp (factorised: every site moves
// independently, branch-free on the outcome; path kinds: sites drawn from the site weights,
// mcmc/path_draw.hpp), from the gradient table at x, with the RBM's gradient for a block of
// chains from one float32 product sigmoid(A) W (as rbm_run.hpp does for gwg, on the same
// chain blocks) and A = c + W x kept per chain in double, moved by +-W[:, i] for each site
// the proposal moves (O(H) per moved site, batched over the block's chains in hidden-unit
// chunks, mcmc/rbm_kernels.hpp) and recomputed from scratch every 64 steps. Same kernels,
// options and adaptation as GradientRun, whose per-chain gradient evaluation (A from
// scratch, a one-row product that repacks W) reads all of W per chain-step.
#pragma once
#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/gradient_kernels.hpp"
#include "mcmc/rbm_kernels.hpp"
#include "mcmc/rbm_model.hpp"
#include "mcmc/run.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

struct RbmGradChain {
  Philox rng{0, 0};
  GradientConfig cfg;  // current kernel (its scale adapts during burn-in)
  std::vector<uint8_t> x, y, ref;
  std::vector<double> A, A_y, g, g_y, tab, tab_y;  // at x and at the proposal y (path: tab = log_v)
  std::vector<double> lw, lw_y;                    // path kinds: log site weights
  std::vector<int64_t> moved, order, counts, slot;  // path kinds: order / counts / slot (-1)
  std::vector<uint8_t> mark;                        // path kinds: scratch of log_ordered_draws
  SumTree tree;
  std::vector<double> sign;  // per moved site: +1 (0 -> 1) or -1
  double f = 0.0, f_y = 0.0, bx = 0.0, bx_y = 0.0, log_fwd = 0.0, theta = 0.0, theta_sum = 0.0;
  int64_t theta_n = 0, ones = 0, hamming = 0;
  uint64_t steps = 0, accepted = 0;
};

class RbmGradientRun final : public Run {
 public:
  RbmModel model;  // validated by the caller
  GradientConfig config;

  int64_t dim() const override { return model.dim; }
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) override;
  void advance(int64_t t_begin, int64_t t_end, const Recording& rec) override;
  ChainSummary finish(int64_t c, uint8_t* state) const override;
  /// The scale chain c uses now (frozen after burn-in): step size or t.
  double adapted(int64_t c) const { return chains_[size_t(c)].cfg.scale(); }

 private:
  struct Block {
    int64_t begin = 0, end = 0;
    std::vector<float> S, G, scratch;  // sigmoid(A) (rows x H), (S W)^T (D x rows, site-major), H floats
    std::vector<PreactivationMove> moves;  // A -> A_y of each chain (mcmc/rbm_kernels.hpp)
  };
  std::vector<RbmGradChain> chains_;
  std::vector<Block> blocks_;
  ChunkedColumns columns_;  // W^T for move_preactivations
  void refresh(Block& blk);
  void step(Block& blk, int64_t t, const Recording& rec);
  void gradient_rows(Block& blk, bool at_proposal);
  void tables(RbmGradChain& ch, bool at_proposal) const;
  double draw_factorised(RbmGradChain& ch) const;  // fills y, moved, sign; returns log q(y | x)
  double draw_path(RbmGradChain& ch) const;
  double log_reverse(RbmGradChain& ch) const;  // log q(x | y)
};

}  // namespace ttsolve::mcmc
