// Single-site samplers on categorical pairwise models (mcmc/pairwise_model.hpp): categorical
// GWG and locally balanced proposals over all D (K - 1) (site, new state) moves, Gibbs,
// random-walk MH and the Hamming ball. The kinds are rows of the sampler table
// (mcmc/kinds.hpp, family "pairwise"); pair_step dispatches on them.
//
// Because f is linear in each site's one-hot vector, the gradient difference
// d[i, k] = g[i, k] - g[i, x_i] is the exact change of f when site i moves to k, so GWG
// (softmax(d / 2)) and locally balanced sqrt are the same kernel here, and every balancing
// function g(t) = t g(1/t) gives the reverse move a weight exp(-d) times the forward one:
// the MH ratio exp(d) q(back | y) / q(move | x) is Z(x) / Z(y), the ratio of normalisers.
//
// Proposal kinds keep, per chain, the gradient table g (D x K, updated by move_grad's rule)
// and a sum tree over the D K moves (leaf i K + k = exp(log_weight(d[i, k]) - shift), zero
// at k = x_i), so a step costs O((degree + 1) K + log(D K)). Trial moves are written into
// the tree, its exactly re-summed total read, and undone from a log on rejection; when the
// total leaves the safe range the tree is rebuilt with a fresh shift and the normalisers are
// compared at their own shifts. Gibbs, random walk and the Hamming ball read the few rows
// of g they need from the neighbours' states (no table, nothing to drift).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/pairwise_model.hpp"
#include "mcmc/quadratic_samplers.hpp"  // SamplerConfig, log_weight (shared with the binary engine)
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

/// A validated PairwiseModel with what the single-site kernels precompute from it.
struct PairwisePrepared {
  const PairwiseModel* m = nullptr;
  std::vector<double> blocks_t;          // blocks_t[e] = J_ij^T: row x_j gives J_ij[., x_j] contiguously
  std::vector<int64_t> star_ptr, star;   // sorted, distinct sites of {i} U N(i) (leaves a move at i touches)
  // sqrt weights (gwg, locally balanced sqrt) change multiplicatively under a move: per CSR
  // entry exp(+-J_ij / 2), and per star element its CSR entry (-1: the site itself). Only
  // used when no row lists a neighbour twice (simple).
  std::vector<double> exp_half, exp_mhalf;
  std::vector<int64_t> star_entry;
  bool simple = false;

  void prepare(const PairwiseModel& model);
  /// g[i, .] at x from the neighbours' states (K values into out).
  void grad_row(const uint8_t* x, int64_t i, double* out) const;
};

/// True for the kinds that draw from the sum tree of (site, state) moves.
inline bool pair_uses_tree(Kind kind) {
  return kind == Kind::Gwg || kind == Kind::LbSqrt || kind == Kind::LbBarker || kind == Kind::LbMax ||
         kind == Kind::LbMin;
}

/// A multi-move trial (GWG with n_flips > 1; see pair_try_moves).
struct TrialMoves {
  std::vector<int64_t> sites;     // distinct moved sites, in draw order
  std::vector<uint8_t> from, to;
  double delta = 0.0, log_ratio = 0.0;
  bool rebuilt = false, consistent = true;
};

/// True for the kinds pair_step implements (the single-site rows of the "pairwise" family;
/// the multi-coordinate kinds of that family run on the gradient engine).
inline bool pair_has_step(Kind kind) {
  return pair_uses_tree(kind) || kind == Kind::GibbsRandom || kind == Kind::GibbsSystematic ||
         kind == Kind::RandomWalk || kind == Kind::RandomWalkSystematic || kind == Kind::HammingBall ||
         is_block_gibbs(kind);
}

struct PairChain {
  std::vector<uint8_t> x, ref;  // state, Hamming reference
  std::vector<double> g;        // gradient table (D x K), tree kinds only
  SumTree tree;
  double shift = 0.0, exp_mshift = 1.0;  // exp(-shift)
  double f = 0.0;
  int64_t hamming = 0, ones = 0;  // Hamming distance to ref, sum_i x_i (magnetization of K = 2)
  uint64_t steps = 0, accepted = 0;
  // Records kept incrementally while a chunk runs (null when not recorded): counts (D x K) get
  // kept_seen - since[i] added for the state a site leaves (and for every site at the end of
  // the chunk), the linear statistic sum_i lin_w[i, x_i] is updated per move (O(1)).
  int64_t* counts = nullptr;
  std::vector<int64_t> since;
  int64_t kept_seen = 0;
  const double* lin_w = nullptr;
  double lin = 0.0;
  Philox rng{0, 0};
  // undo log of a trial move: (g index, old value), (leaf, old value)
  std::vector<std::pair<int64_t, double>> saved_g, saved_leaf;
  std::vector<int64_t> touched;
  std::vector<double> row, key;  // scratch (K and ball-sized)
  std::vector<int64_t> draws;
  TrialMoves multi;
  BlockConditional block;  // block Gibbs scratch

  void reset(const PairwisePrepared& p, const SamplerConfig& cfg, const uint8_t* x0, const uint8_t* ref0);
  /// Recomputes every leaf with shift = the largest log weight.
  void rebuild_tree(const PairwisePrepared& p, Kind kind);
};

/// A trial move of a tree kind written into the chain, with what accepting it needs.
struct TrialMove {
  int64_t site = 0;
  uint8_t from = 0, to = 0;
  double delta = 0.0;   // f(y) - f(x)
  double ratio = 1.0;   // exp(delta) q(back | y) / q(move | x) = Z(x) / Z(y)
  bool rebuilt = false; // the tree was rebuilt with a new shift while applying it
};

/// Writes site -> to into the chain (state, g, leaves, maybe a rebuild) and returns the MH
/// ratio; pair_undo_move restores the chain exactly. Both are the kernel's own step parts
/// (the transition-row test hook calls them for every move).
TrialMove pair_try_move(const PairwisePrepared& p, Kind kind, PairChain& c, int64_t site, uint8_t to);
void pair_undo_move(const PairwisePrepared& p, Kind kind, PairChain& c, const TrialMove& mv);

/// GWG with n_flips > 1: the draws are n (site, state) moves i.i.d. from the proposal at x
/// (leaves a = site K + state). A site drawn twice with different states makes the proposal
/// a stay (draws are kept only when consistent, so draws <-> reverse draws is a bijection);
/// otherwise every drawn site moves once and the reverse draws are the same sites back to
/// their states in x, under the proposal at y. pair_try_moves writes the moves and returns
/// log [exp(delta) q(reverse draws | y) / q(draws | x)] (-inf: inconsistent, nothing written);
/// pair_undo_moves restores the chain exactly.
void pair_try_moves(const PairwisePrepared& p, Kind kind, PairChain& c, const std::vector<int64_t>& draws,
                    TrialMoves& mv);
void pair_undo_moves(const PairwisePrepared& p, Kind kind, PairChain& c, const TrialMoves& mv);

/// Gibbs: the conditional of site i (K probabilities into c.row, summing to 1).
void pair_site_conditional(const PairwisePrepared& p, const PairChain& c, int64_t i, double* prob);

/// Moves site i to state `to` in a chain without a tree (state, f, Hamming).
void pair_set_site(const PairwisePrepared& p, PairChain& c, int64_t i, uint8_t to, double delta);

/// Hamming ball around u = the chain's state on sites [start, start + len): log weights of
/// its 1 + len (K - 1) points (index 0 = u, then site start + s to the k-th other state),
/// which are f(point) - f(u).
void pair_ball_log_weights(const PairwisePrepared& p, const PairChain& c, int64_t start, int64_t len,
                           std::vector<double>& out);
/// The state a ball point index moves (site, new state); point 0 is (-1, 0).
std::pair<int64_t, uint8_t> pair_ball_point(const PairChain& c, int64_t n_states, int64_t start, int64_t index);

/// The joint conditional of sites [start, start + len) given the others: r_s[k] = b[s, k] +
/// sum_{j outside} J_sj[k, x_j], and 1/2 J_st per directed CSR entry inside the block (both
/// directions together give the pair's J once); then enumerated (BlockConditional).
void pair_block_conditional(const PairwisePrepared& p, const uint8_t* x, int64_t start, int64_t len,
                            BlockConditional& bc);

/// sum_i w[i, x_i] from scratch.
double pair_linear(const PairChain& c, int64_t n_states, const double* w);

/// One step of the configured kernel on one chain.
void pair_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c);

}  // namespace ttsolve::mcmc
