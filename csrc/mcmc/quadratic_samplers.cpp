#include "mcmc/quadratic_samplers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ttsolve::mcmc {

void SamplerConfig::validate(int64_t dim) const {
  if (n_flips < 1) throw std::invalid_argument("n_flips must be >= 1");
  if (n_flips > 1 && !kind_row(kind).multi_flip)
    throw std::invalid_argument(std::string("n_flips > 1 is not available for ") + kind_row(kind).kernel);
  if (block_size < 1 || block_size > dim)
    throw std::invalid_argument("block_size must be in [1, dim]");
  if (is_block_gibbs(kind)) check_block_configs(2, block_size);
}

// log g(t) at t = exp(delta) for the balancing function g of the kind; every g satisfies
// g(t) = t g(1/t), so the reverse flip's weight is exp(-delta) times the forward one.
double log_weight(Kind kind, double delta) {
  switch (kind) {
    case Kind::LbBarker:  // t / (1 + t): log sigmoid(delta), stable both ways
      return delta >= 0 ? -std::log1p(std::exp(-delta)) : delta - std::log1p(std::exp(delta));
    case Kind::LbMax:  // max(1, t)
      return std::max(0.0, delta);
    case Kind::LbMin:  // min(1, t)
      return std::min(0.0, delta);
    default:  // GWG softmax(d / 2) == locally balanced sqrt(t) on quadratic models
      return 0.5 * delta;
  }
}

namespace {

inline double flip_delta(const QuadChain& c, int64_t i) { return -2.0 * c.s[i] * c.g[i]; }

// Flips spin i and keeps the running magnetisation and Hamming distance in step.
inline void toggle(QuadChain& c, int64_t i) {
  c.s[i] = int8_t(-c.s[i]);
  c.spin_sum += 2 * c.s[i];
  c.hamming += c.s[i] != c.ref[i] ? 1 : -1;
}

// Flips site i and updates the fields, without an undo log (kinds that never undo).
void flip_fields(const SpinQuadratic& m, QuadChain& c, int64_t i) {
  const double change = -4.0 * c.s[i];
  toggle(c, i);
  for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) c.g[m.indices[k]] += change * m.weights[k];
}

// Flips site i, updating fields (and tree leaves); logs old values for undo.
void apply_flip(const SpinQuadratic& m, Kind kind, bool tree, QuadChain& c, int64_t i) {
  const int8_t s_old = c.s[i];
  const double change = -4.0 * s_old;
  toggle(c, i);
  for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) {
    const int64_t j = m.indices[k];
    c.saved_g.emplace_back(j, c.g[j]);
    c.g[j] += change * m.weights[k];
  }
  if (!tree) return;
  const double old_self = c.tree.leaf(i);
  c.saved_leaf.emplace_back(i, old_self);
  const bool multiplicative = sqrt_weights(kind) && !m.exp_pos.empty();
  // sqrt weights: delta_i -> -delta_i, so exp(-delta_i/2 - shift) = exp(-2 shift) / old.
  c.tree.set_leaf(i, multiplicative && old_self > 1e-150 && c.exp_m2shift < 1e150
                         ? c.exp_m2shift / old_self
                         : std::exp(log_weight(kind, flip_delta(c, i)) - c.shift));
  c.touched.clear();
  bool placed = false;
  for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) {
    const int64_t j = m.indices[k];
    if (!placed && j > i) { c.touched.push_back(i); placed = true; }
    c.touched.push_back(j);
    const double old = c.tree.leaf(j);
    c.saved_leaf.emplace_back(j, old);
    // sqrt weights: delta_j moves by 8 s_j s_i W_ij, so the weight by exp(+-4 W_ij)
    // (recomputed when tiny, so an underflowed weight can recover).
    const double w = multiplicative && old > 1e-250
                         ? old * (c.s[j] == s_old ? m.exp_pos[k] : m.exp_neg[k])
                         : std::exp(log_weight(kind, flip_delta(c, j)) - c.shift);
    c.tree.set_leaf(j, w);
  }
  if (!placed) c.touched.push_back(i);
  c.tree.refresh(c.touched);
}

// Restores the state before the logged flips (exactly: old values, not reverse arithmetic).
void undo_flips(QuadChain& c, bool tree) {
  for (int64_t i : c.picks) toggle(c, i);
  for (auto it = c.saved_g.rbegin(); it != c.saved_g.rend(); ++it) c.g[it->first] = it->second;
  if (!tree) return;
  for (auto it = c.saved_leaf.rbegin(); it != c.saved_leaf.rend(); ++it) c.tree.set_leaf(it->first, it->second);
  c.touched.clear();
  for (const auto& e : c.saved_leaf) c.touched.push_back(e.first);
  std::sort(c.touched.begin(), c.touched.end());
  c.tree.refresh(c.touched);
}

bool tree_unsafe(const SumTree& t) {
  const double z = t.total();
  return !(z > 1e-250 && z < 1e250);
}

// Single-flip GWG / sqrt locally balanced with multiplicative weights. The acceptance
// min(1, z / z_new) only needs the new total, which follows from the few leaves the flip
// changes, so it is decided before anything is written: a rejection costs no undo, an
// acceptance writes each field and leaf once. Returns false, having changed nothing and
// drawn no further random numbers, when a guard fails (the generic path then takes over).
// On dense rows (a PCD fit's couplings) this is an O(D) pass instead of apply + undo.
bool single_flip_fast(const SpinQuadratic& m, QuadChain& c, int64_t i, double z) {
  const double w_i = c.tree.leaf(i);
  if (!(w_i > 1e-150 && c.exp_m2shift < 1e150)) return false;
  const int64_t kb = m.indptr[i], n = m.indptr[i + 1] - kb;
  const int8_t s_old = c.s[i];
  if (int64_t(c.w_next.size()) < m.max_degree) c.w_next.resize(size_t(m.max_degree));
  double* w_new = c.w_next.data();
  double w_i_new = c.exp_m2shift / w_i, z_new = z + (w_i_new - w_i);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t j = m.indices[kb + k];
    const double old = c.tree.leaf(j);
    if (!(old > 1e-250)) return false;
    w_new[k] = old * (c.s[j] == s_old ? m.exp_pos[kb + k] : m.exp_neg[kb + k]);
    z_new += w_new[k] - old;
  }
  if (!(z_new > 1e-200 && z_new < 1e200)) return false;
  const double ratio = z / z_new;  // == exp(delta) q(i | x') / q(i | x) for sqrt weights
  if (!(ratio >= 1.0 || c.rng.uniform() < ratio)) return true;  // rejected: nothing changed
  const double delta = flip_delta(c, i), change = -4.0 * s_old;
  toggle(c, i);
  c.tree.set_leaf(i, w_i_new);
  if (c.tree.refresh_is_full(n + 1)) {  // dense row: write the leaves, then one pass over the parents
    for (int64_t k = 0; k < n; ++k) {
      const int64_t j = m.indices[kb + k];
      c.g[j] += change * m.weights[kb + k];
      c.tree.set_leaf(j, w_new[k]);
    }
    c.tree.refresh_all();
  } else {
    c.touched.clear();
    bool placed = false;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t j = m.indices[kb + k];
      c.g[j] += change * m.weights[kb + k];
      c.tree.set_leaf(j, w_new[k]);
      if (!placed && j > i) { c.touched.push_back(i); placed = true; }
      c.touched.push_back(j);
    }
    if (!placed) c.touched.push_back(i);
    c.tree.refresh(c.touched);
  }
  c.f += delta;
  ++c.accepted;
  return true;
}

// Proposal-weighted flips (GWG single / multi flip, locally balanced): draw from the tree,
// apply, evaluate the reverse proposal on the updated tree, accept or undo.
void tree_step(const SpinQuadratic& m, const SamplerConfig& cfg, QuadChain& c) {
  c.saved_g.clear();
  c.saved_leaf.clear();
  c.draws.clear();
  const double z = c.tree.total();
  for (int64_t n = 0; n < cfg.n_flips; ++n) {
    const int64_t i = c.tree.find(c.rng.uniform() * z);
    if (c.tree.leaf(i) <= 0.0) return;  // round-off landed on an empty leaf: stay (rare)
    c.draws.push_back(i);
  }
  if (cfg.n_flips == 1 && sqrt_weights(cfg.kind) && m.simple_rows && !m.exp_pos.empty() &&
      single_flip_fast(m, c, c.draws[0], z))
    return;
  double log_fwd = 0.0;  // log proposal probability of the draws (multi flip)
  if (cfg.n_flips > 1)
    for (int64_t i : c.draws) log_fwd += std::log(c.tree.leaf(i) / z);
  // Sites drawn several times flip once (the paper's multi-flip proposal).
  c.picks.assign(c.draws.begin(), c.draws.end());
  if (cfg.n_flips > 1) {
    std::sort(c.picks.begin(), c.picks.end());
    c.picks.erase(std::unique(c.picks.begin(), c.picks.end()), c.picks.end());
  }
  double delta = 0.0;
  for (int64_t i : c.picks) {
    delta += flip_delta(c, i);
    apply_flip(m, cfg.kind, true, c, i);
  }
  bool rescaled = false;
  const double shift_before = c.shift;
  if (tree_unsafe(c.tree)) {
    c.rebuild_tree(m, cfg.kind);
    rescaled = true;
  }
  // Acceptance exp(delta) q(draws | x') / q(draws | x); in the multi-flip form below leaf /
  // total ratios do not depend on the shift, so a rebuild in between is harmless.
  const double z_new = c.tree.total();
  bool accept;
  if (cfg.n_flips == 1) {
    // Every single-flip tree kind has a balancing function with g(t) = t g(1/t), so the
    // reverse weight is exp(-delta) times the forward one and exp(delta) q(i|x') / q(i|x)
    // is z / z_new exactly; this also avoids exp(delta) overflowing against an underflowed
    // reverse weight when |delta| is large (max / barker weights). The totals are at the
    // shifts they were built with, which differ after a rebuild.
    const double ratio = rescaled ? std::exp(std::log(z) - std::log(z_new) + shift_before - c.shift)
                                  : z / z_new;
    accept = ratio >= 1.0 || c.rng.uniform() < ratio;
  } else {
    double log_rev = 0.0;
    for (int64_t i : c.draws) log_rev += std::log(c.tree.leaf(i) / z_new);
    const double log_accept = delta + log_rev - log_fwd;
    accept = log_accept >= 0.0 || std::log(c.rng.uniform_pos()) < log_accept;
  }
  if (accept) {
    c.f += delta;
    ++c.accepted;
    return;
  }
  if (rescaled) {  // leaves were rescaled: undo by recomputation
    for (int64_t i : c.picks) toggle(c, i);
    for (auto it = c.saved_g.rbegin(); it != c.saved_g.rend(); ++it) c.g[it->first] = it->second;
    c.rebuild_tree(m, cfg.kind);
  } else {
    undo_flips(c, true);
  }
}

// Hamming ball, radius 1, on a random block: auxiliary u uniform in the ball around x,
// then x' from the ball around u in proportion to the target (no rejection).
void hamming_ball_step(const SpinQuadratic& m, const SamplerConfig& cfg, QuadChain& c) {
  const int64_t n_blocks = (m.dim + cfg.block_size - 1) / cfg.block_size;
  const int64_t start = int64_t(c.rng.below(uint64_t(n_blocks))) * cfg.block_size;
  const int64_t len = std::min(cfg.block_size, m.dim - start);
  const int64_t aux = int64_t(c.rng.below(uint64_t(len + 1)));  // len means u = x
  double f_u = c.f;
  if (aux < len) {
    f_u += flip_delta(c, start + aux);
    flip_fields(m, c, start + aux);
  }
  // Gumbel-max over {stay at u} U {u with one block site flipped}.
  int64_t best = len;
  double best_key = c.rng.gumbel();
  double best_delta = 0.0;
  for (int64_t k = 0; k < len; ++k) {
    const double d = flip_delta(c, start + k);
    const double key = d + c.rng.gumbel();
    if (key > best_key) { best_key = key; best = k; best_delta = d; }
  }
  if (best < len) {
    f_u += best_delta;
    flip_fields(m, c, start + best);
  }
  const bool moved = !(best == aux || (aux == len && best == len));
  if (moved) ++c.accepted;
  c.f = f_u;
}

// Block Gibbs: the block's spins drawn exactly from their joint conditional.
void block_gibbs_step(const SpinQuadratic& m, const SamplerConfig& cfg, QuadChain& c) {
  const BlockSpan b = block_span(m.dim, cfg.block_size, cfg.kind == Kind::BlockGibbsSystematic, c.steps, c.rng);
  BlockConditional& bc = c.block;
  quad_block_conditional(m, c.s.data(), b.start, b.len, bc);
  int64_t from = 0;
  for (int64_t a = 0; a < b.len; ++a) from = 2 * from + (c.s[b.start + a] > 0);
  const int64_t to = bc.draw(c.rng.uniform());
  if (to == from) return;
  c.f += bc.log_w[size_t(to)] - bc.log_w[size_t(from)];
  for (int64_t a = 0; a < b.len; ++a)
    if ((bc.digit(to, a) == 1) != (c.s[b.start + a] > 0)) flip_fields(m, c, b.start + a);
  ++c.accepted;
}

}  // namespace

void quad_block_conditional(const SpinQuadratic& m, const int8_t* s, int64_t start, int64_t len,
                            BlockConditional& bc) {
  bc.reset(2, len);
  for (int64_t a = 0; a < len; ++a) {
    const int64_t i = start + a;
    double r = m.bias[i];
    for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) {
      const int64_t j = m.indices[k];
      const double w = m.weights[k];
      if (j >= start && j < start + len) {
        const double table[4] = {w, -w, -w, w};  // W_ij s_i s_j at (x_i, x_j) in {0, 1}^2
        bc.add_pair(a, j - start, table, 1.0);
      } else {
        r += 2.0 * w * s[j];
      }
    }
    bc.rows[size_t(2 * a)] = -r;
    bc.rows[size_t(2 * a + 1)] = r;
  }
  bc.enumerate();
}

void QuadChain::rebuild_tree(const SpinQuadratic& m, Kind kind) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < m.dim; ++i) mx = std::max(mx, log_weight(kind, flip_delta(*this, i)));
  shift = mx;
  exp_m2shift = std::exp(-2.0 * shift);
  tree.build(m.dim, [&](int64_t i) { return std::exp(log_weight(kind, flip_delta(*this, i)) - shift); });
}

void QuadChain::reset(const SpinQuadratic& m, const SamplerConfig& cfg, const uint8_t* x01,
                      const uint8_t* ref01) {
  s.resize(size_t(m.dim));
  g.resize(size_t(m.dim));
  ref.resize(size_t(m.dim));
  spin_sum = hamming = 0;
  for (int64_t i = 0; i < m.dim; ++i) {
    s[i] = x01[i] ? 1 : -1;
    ref[i] = ref01 && ref01[i] ? 1 : -1;
    spin_sum += s[i];
    hamming += s[i] != ref[i];
  }
  m.fields(s.data(), g.data());
  f = m.energy(s.data());
  if (cfg.uses_tree()) {
    tree.resize(m.dim);
    rebuild_tree(m, cfg.kind);
  }
}

void quad_step(const SpinQuadratic& m, const SamplerConfig& cfg, QuadChain& c) {
  switch (cfg.kind) {
    case Kind::Gwg:
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin:
      tree_step(m, cfg, c);
      // Multiplicative weight updates accumulate rounding: recompute now and then.
      if ((c.steps + 1) % uint64_t(64 * m.dim) == 0) {
        m.fields(c.s.data(), c.g.data());
        c.rebuild_tree(m, cfg.kind);
      }
      break;
    case Kind::GibbsSystematic:
    case Kind::GibbsRandom: {
      const int64_t i = cfg.kind == Kind::GibbsSystematic ? int64_t(c.steps % uint64_t(m.dim))
                                                          : int64_t(c.rng.below(uint64_t(m.dim)));
      const double d = flip_delta(c, i);
      // P(flip) = sigmoid(d), compared in log space: log u < log sigmoid(d).
      if (std::log(c.rng.uniform_pos()) < log_weight(Kind::LbBarker, d)) {
        flip_fields(m, c, i);
        c.f += d;
        ++c.accepted;
      }
      break;
    }
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic: {  // flip one site (random or in turn), accept min(1, e^d)
      const int64_t i = cfg.kind == Kind::RandomWalkSystematic ? int64_t(c.steps % uint64_t(m.dim))
                                                               : int64_t(c.rng.below(uint64_t(m.dim)));
      const double d = flip_delta(c, i);
      if (d >= 0.0 || std::log(c.rng.uniform_pos()) < d) {
        flip_fields(m, c, i);
        c.f += d;
        ++c.accepted;
      }
      break;
    }
    case Kind::HammingBall:
      hamming_ball_step(m, cfg, c);
      break;
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic:
      block_gibbs_step(m, cfg, c);
      break;
    case Kind::BlockGibbs:  // a Python step (numpy engine); QuadRun::start refuses it
      break;
    case Kind::Dmala:  // gradient kinds: the gradient engine (mcmc/gradient_run.hpp) runs them
    case Kind::Dula:
    case Kind::Pas:
    case Kind::Dlmc:
    case Kind::GwgMulti:
      break;
  }
  ++c.steps;
}

}  // namespace ttsolve::mcmc
