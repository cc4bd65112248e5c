// Single-site samplers on spin-quadratic models with incrementally maintained local
// fields (and, for the proposal-weighted samplers, a sum tree of proposal weights). The
// kinds are rows of the sampler table (mcmc/kinds.hpp); quad_step dispatches on them.
#pragma once
#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/block_conditional.hpp"
#include "mcmc/kinds.hpp"
#include "mcmc/quadratic_model.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

struct SamplerConfig {
  Kind kind = Kind::Gwg;
  int64_t n_flips = 1;     // GWG: indices drawn per proposal (with replacement)
  int64_t block_size = 1;  // Hamming ball: contiguous block length

  /// Throws std::invalid_argument on bad options for this model dimension.
  void validate(int64_t dim) const;
  bool uses_tree() const {
    return kind == Kind::Gwg || kind == Kind::LbSqrt || kind == Kind::LbBarker || kind == Kind::LbMax ||
           kind == Kind::LbMin;
  }
};

/// True for the kinds whose proposal weight is sqrt(t) = exp(delta / 2) (GWG on quadratic
/// models, locally balanced sqrt): a flip changes those weights multiplicatively, which
/// the fast incremental paths use.
inline bool sqrt_weights(Kind kind) { return kind == Kind::Gwg || kind == Kind::LbSqrt; }

/// log of the (unnormalised) proposal weight of a site whose flip changes f by delta.
double log_weight(Kind kind, double delta);

struct QuadChain {
  std::vector<int8_t> s;  // spins
  std::vector<double> g;  // local fields 2 W s + h
  std::vector<int8_t> ref;  // reference spins for the Hamming statistic
  int64_t spin_sum = 0, hamming = 0;
  SumTree tree;           // exp(log_weight - shift) per site (tree kinds only)
  double shift = 0.0, exp_m2shift = 1.0;
  double f = 0.0;         // running f(s)
  uint64_t steps = 0, accepted = 0;
  Philox rng{0, 0};
  // Undo log of the current proposal: (site, old field) and (site, old leaf).
  std::vector<std::pair<int64_t, double>> saved_g, saved_leaf;
  std::vector<int64_t> picks, draws, touched;
  std::vector<double> w_next;  // new neighbour weights of a proposed flip (single-flip fast path)
  BlockConditional block;      // block Gibbs scratch

  /// (Re)initialises s, g, f and the tree from a 0/1 state.
  void reset(const SpinQuadratic& m, const SamplerConfig& cfg, const uint8_t* x01,
             const uint8_t* ref01);
  /// Recomputes the tree weights with a fresh shift (after overflow / underflow risk).
  void rebuild_tree(const SpinQuadratic& m, Kind kind);
};

/// True for the block Gibbs kinds of the quadratic and pairwise engines.
inline bool is_block_gibbs(Kind kind) { return kind == Kind::BlockGibbsRandom || kind == Kind::BlockGibbsSystematic; }

/// The joint conditional of spins [start, start + len) given the others (K = 2, state
/// 0 = spin -1): r_i = h_i + 2 sum_{j outside} W_ij s_j per spin, W_ij s_i s_j per directed
/// CSR entry inside the block; then enumerated (BlockConditional::enumerate).
void quad_block_conditional(const SpinQuadratic& m, const int8_t* s, int64_t start, int64_t len,
                            BlockConditional& bc);

/// One step of the configured kernel on one chain.
void quad_step(const SpinQuadratic& m, const SamplerConfig& cfg, QuadChain& c);

}  // namespace ttsolve::mcmc
