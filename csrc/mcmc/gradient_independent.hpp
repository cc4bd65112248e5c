// Factorised kinds (dmala / dula / dlmc) on independent-site models: pairwise models without
// couplings (Bernoulli, Categorical: a PairwiseModel with no CSR entries). There the gradient
// g[i, k] = b[i, k] does not depend on the state, so site i's proposal row at state a,
// q_i(. | a), is fixed while the kernel's scale is. All K rows of every site are tabulated
// once (site_tables, (D, K, K): K table builds, redone only if the scale changes), and a step
// is one pass over the sites that reads the draw, the forward factor q_i(y_i | x_i), the
// reverse factor q_i(x_i | y_i) and the f change g[i, y_i] - g[i, x_i] from the tables: no
// table row computed per moved site, no gradient update, no saved rows (y is its own array,
// so a rejected step leaves x as it was and an accepted one swaps x and y).
//
// The values are the incremental step's (mcmc/gradient_run.hpp) on the same model, factor for
// factor in the same order (the same factorised_table rows, products over the moved sites in
// increasing order), and the draws read the same words: the chains are the same bit for bit.
// Used while the scale is fixed (no adaptation, or after burn-in), for
// K <= kIndependentMaxStates (K^2 doubles per site and chain).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "mcmc/gradient_chain.hpp"
#include "mcmc/gradient_kernels.hpp"
#include "mcmc/pairwise_model.hpp"

namespace ttsolve::mcmc {

constexpr int64_t kIndependentMaxStates = 8;

/// True for models whose sites are independent (constant gradient), with K small enough to
/// tabulate every site's K proposal rows.
template <class Model>
bool independent_sites(const Model&) {
  return false;
}
inline bool independent_sites(const PairwiseModel& m) {
  return m.indices.empty() && m.n_states <= kIndependentMaxStates;
}

/// out[(i K + a) K + k] = q_i(k | x_i = a) under cfg for the gradient table g (state-free on
/// these models): factorised_table for the all-a state, a = 0..K-1. xa (D) and rows (D K) are
/// scratch.
inline void site_tables(const GradientConfig& cfg, int64_t D, int64_t K, const double* g, std::vector<uint8_t>& xa,
                        std::vector<double>& rows, double* out) {
  xa.resize(size_t(D));
  rows.resize(size_t(D * K));
  for (int64_t a = 0; a < K; ++a) {
    std::fill(xa.begin(), xa.end(), uint8_t(a));
    factorised_table(cfg, D, K, xa.data(), g, rows.data());
    for (int64_t i = 0; i < D; ++i) std::copy_n(rows.data() + i * K, K, out + (i * K + a) * K);
  }
}

/// One dmala / dula / dlmc step of chain ch on an independent-site model (D sites, K states;
/// ch.site_tab from site_tables under ch.cfg, ch.g its gradient); returns the MH acceptance
/// probability (1 when nothing moved).
inline double independent_step(GradChain& ch, int64_t D, int64_t K) {
  const uint8_t* x = ch.x.data();
  uint8_t* y = ch.y.data();
  const uint8_t* ref = ch.ref.data();
  const double* st = ch.site_tab.data();
  const double* g = ch.g.data();
  LogProduct fwd, rev;
  double df = 0.0;
  int64_t n = 0, dspin = 0, dham = 0;
  if (K == 2) {
    // row (i, a) = st + 4 i + 2 a: the move probability is st[4 i + a + 1], the reverse
    // factor q_i(a | 1 - a) st[4 i + 2 - a]; the factors over the flipped sites only
    ch.moved.resize(size_t(D));
    int64_t* moved = ch.moved.data();
    const size_t m = draw_flips(ch.rng, D, x, y, [&](int64_t i, uint8_t a) { return st[4 * i + a + 1]; }, moved);
    for (size_t t = 0; t < m; ++t) {
      const int64_t i = moved[t], a = x[i];
      fwd.mul(st[4 * i + a + 1]);
      rev.mul(st[4 * i + 2 - a]);
      df += g[2 * i + 1 - a] - g[2 * i + a];
      dspin += 2 - 4 * a;
      dham += a == ref[i] ? 1 : -1;
    }
    n = int64_t(m);
  } else {
    ch.moved.resize(size_t(D));
    ch.u_moved.resize(size_t(D));
    int64_t* moved = ch.moved.data();
    const size_t m = draw_movers(ch.rng, D, [&](int64_t i) { return st[(i * K + x[i]) * K + x[i]]; }, moved,
                                 ch.u_moved.data());
    std::copy_n(x, D, y);
    for (size_t t = 0; t < m; ++t) {
      const int64_t i = moved[t], a = x[i];
      const int64_t c = pick_other(st + (i * K + a) * K, K, a, ch.u_moved[t]);
      if (c < 0) continue;  // p[a] == 1 up to rounding: stays
      y[i] = uint8_t(c);
      fwd.mul(st[(i * K + a) * K + c]);
      rev.mul(st[(i * K + c) * K + a]);
      df += g[i * K + c] - g[i * K + a];
      dspin += (c == 1 ? 1 : -1) - (a == 1 ? 1 : -1);
      dham += int64_t(c != ref[i]) - int64_t(a != ref[i]);
      ++n;
    }
  }
  ch.f_y = ch.f;
  if (n == 0) {  // y = x: accepted, nothing changes
    ++ch.accepted;
    return 1.0;
  }
  ch.f_y = ch.f + df;
  double acc = 0.0;
  if (mh_test(ch, df + rev.value() - fwd.value(), ch.cfg.kind == Kind::Dula, acc)) {
    ch.spin_sum += dspin;
    ch.hamming += dham;
    std::swap(ch.x, ch.y);
    ch.f = ch.f_y;
    ++ch.accepted;
  }
  return acc;
}

}  // namespace ttsolve::mcmc
