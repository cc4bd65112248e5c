// One chain of the multi-coordinate gradient engine (mcmc/gradient_run.hpp) and the small
// draws its steps share: the exact lazy Bernoulli, a categorical draw, the log-scale product
// of proposal factors. Also used by the RBM gradient engine (bernoulli).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "mcmc/gradient_kernels.hpp"
#include "mcmc/sum_tree.hpp"

namespace ttsolve::mcmc {

/// Product of probabilities accumulated in log scale with few logs (renormalised when small).
struct LogProduct {
  double log = 0.0, prod = 1.0;
  void mul(double p) {
    prod *= p;
    if (prod < 1e-200) {
      log += std::log(prod);
      prod = 1.0;
    }
  }
  double value() const { return log + std::log(prod); }
};

/// One chain of the gradient engine: state, gradient and proposal tables at x and at the
/// proposal y (swapped on acceptance), adaptation state, scratch.
struct GradChain {
  Philox rng{0, 0};
  GradientConfig cfg;  // the chain's current kernel (its scale adapts during burn-in)
  std::vector<uint8_t> x, y, ref, mark;
  std::vector<double> g, gy, tab, taby, lw, lwy;
  double f = 0.0, f_y = 0.0, theta = 0.0, theta_sum = 0.0;
  int64_t theta_n = 0, spin_sum = 0, hamming = 0;
  uint64_t steps = 0, accepted = 0;
  std::vector<int64_t> order, counts;
  SumTree tree;
  // incremental factorised steps: moved sites with their old states, touched sites (moved
  // and neighbours) with their saved gradient and table rows
  std::vector<int64_t> moved, touched;
  std::vector<double> u_moved;  // K > 2: the uniform of each moved site's new state
  std::vector<uint8_t> old_state;
  std::vector<double> saved_g, saved_tab, saved_lw;
  std::vector<std::pair<int64_t, double>> saved_leaf, rev_leaf;  // path kinds: leaves to restore
  double shift = 0.0;                                             // path kinds: tree leaves exp(lw - shift)
  // independent-site models (mcmc/gradient_independent.hpp): q_i(k | a) for every site and
  // state, (D, K, K), fixed while the scale is
  std::vector<double> site_tab;
};

/// The MH test on log_acc = log of f(y) - f(x) + log q(x | y) - log q(y | x) (NaN rejects;
/// `always`, DULA: any finite f(y) is accepted); a = the acceptance probability. A uniform is
/// drawn only when log_acc < 0 and not always.
inline bool mh_test(GradChain& ch, double log_acc, bool always, double& a) {
  if (std::isnan(log_acc)) log_acc = -INFINITY;
  a = log_acc >= 0.0 ? 1.0 : std::exp(log_acc);
  return always ? std::isfinite(ch.f_y) : (log_acc >= 0.0 || ch.rng.uniform() < a);
}

/// Copies one K-entry table row (saved / restored rows of the incremental steps): K = 2
/// inline, not a memmove call per row.
inline void copy_row(const double* from, int64_t K, double* to) {
  if (K == 2) {
    to[0] = from[0];
    to[1] = from[1];
  } else {
    std::copy_n(from, K, to);
  }
}

/// True with probability p (0 <= p <= 1), exactly as u < p for a uniform u with 64 bits, but
/// usually from 32 random bits: the next 32 are drawn only when the first ones tie with p's.
template <class Words>  // Philox or BulkWords (the same stream)
inline bool bernoulli(Words& rng, double p) {
  const double scaled = p * 4294967296.0;  // exact (power of two), in [0, 2^32]
  const uint64_t w = uint64_t(int64_t(scaled));  // floor; via int64 (scaled < 2^63): one instruction
  const uint64_t u = rng.next_u32();
  if (u != w) return u < w;  // also when p == 1 (w = 2^32 > u); a tie has probability 2^-32
  return double(rng.next_u32()) < (scaled - double(w)) * 4294967296.0;
}

/// Draws k from the probabilities p[0..K) with one uniform (last positive one on round-off).
inline int64_t draw_from(const double* p, int64_t K, double u) {
  double c = 0.0;
  int64_t last = 0;
  for (int64_t k = 0; k < K; ++k) {
    if (p[k] <= 0.0) continue;
    c += p[k];
    last = k;
    if (u < c) return k;
  }
  return last;
}

/// K = 2 factorised draw: site i flips with probability p_move(i) (y_i = 1 - x_i, else
/// y_i = x_i at every site); the flipped sites go to moved[0..n) in increasing order, returns
/// n. Branch-free on the (unpredictable) outcome: a mispredicted branch per site cost ~12 ns,
/// more than the draw (bench/README.md, Issue 14 cost breakdown). The words come from the
/// multi-block Philox fill (BulkWords: the chain's own stream, word for word). moved holds
/// at least D entries.
template <class PMove>
inline size_t draw_flips(Philox& rng, int64_t D, const uint8_t* x, uint8_t* y, PMove&& p_move, int64_t* moved) {
  BulkWords words(rng);
  size_t n = 0;
  for (int64_t i = 0; i < D; ++i) {
    const uint8_t a = x[i];
    const bool move = bernoulli(words, p_move(i, a));
    moved[n] = i;
    y[i] = uint8_t(a ^ uint8_t(move));
    n += size_t(move);
  }
  return n;
}

/// K > 2 factorised draw, first pass: site i stays with probability stay(i); the moving sites
/// go to moved[0..n) in increasing order with the uniform u_moved[t] of their new state,
/// returns n. Branch-free on the (unpredictable) stay / move outcome: u is peeked at every
/// site and its two words consumed only by a moving one, so the stream is word for word that
/// of drawing u right after a move. moved and u_moved hold at least D entries.
template <class Stay>
inline size_t draw_movers(Philox& rng, int64_t D, Stay&& stay, int64_t* moved, double* u_moved) {
  BulkWords words(rng);
  size_t n = 0;
  for (int64_t i = 0; i < D; ++i) {
    const bool move = !bernoulli(words, stay(i));
    u_moved[n] = words.peek_uniform();
    words.skip(2 * size_t(move));
    moved[n] = i;
    n += size_t(move);
  }
  return n;
}

/// The new state of a moving site in state a: the first k != a with p[k] > 0 whose running
/// sum of those p exceeds u sum_{k != a} p (the last such k on round-off), -1 if there is
/// none (p[a] == 1 up to rounding: the site stays). Branch-free over k (the pick is
/// unpredictable); the running sums are those of the loop that stops at the pick.
inline int64_t pick_other(const double* p, int64_t K, int64_t a, double u) {
  // arithmetic selects (no && / ?: the compiler turns into branches): q = p[k] at k != a, 0 at
  // a (p >= 0 finite, so p * 0 = 0 exactly; adding it is exact); a site with q = 0 adds 0 to c
  double rest = 0.0;
  for (int64_t k = 0; k < K; ++k) rest += p[k] * double(k != a);
  const double v = u * rest;
  double c = 0.0;
  int64_t pick = -1;
  bool done = false;
  for (int64_t k = 0; k < K; ++k) {
    const double q = p[k] * double(k != a);
    const bool live = q > 0.0;
    c += q;
    pick += int64_t(live & !done) * (k - pick);
    done = done | (live & (v < c));
  }
  return pick;
}

}  // namespace ttsolve::mcmc
