#include "mcmc/pairwise_samplers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ttsolve::mcmc {

void PairwisePrepared::prepare(const PairwiseModel& model) {
  m = &model;
  const int64_t D = model.dim, K = model.n_states, KK = K * K;
  const int64_t nnz = int64_t(model.indices.size());
  blocks_t.resize(size_t(nnz * KK));
  for (int64_t e = 0; e < nnz; ++e)
    for (int64_t a = 0; a < K; ++a)
      for (int64_t b = 0; b < K; ++b) blocks_t[size_t(e * KK + b * K + a)] = model.blocks[size_t(e * KK + a * K + b)];
  star_ptr.assign(size_t(D + 1), 0);
  star.clear();
  for (int64_t i = 0; i < D; ++i) {
    const size_t begin = star.size();
    star.push_back(i);
    for (int64_t e = model.indptr[i]; e < model.indptr[i + 1]; ++e) star.push_back(model.indices[e]);
    std::sort(star.begin() + long(begin), star.end());
    star.erase(std::unique(star.begin() + long(begin), star.end()), star.end());
    star_ptr[i + 1] = int64_t(star.size());
  }
  exp_half.resize(model.blocks.size());
  exp_mhalf.resize(model.blocks.size());
  for (size_t a = 0; a < model.blocks.size(); ++a) {
    exp_half[a] = std::exp(0.5 * model.blocks[a]);
    exp_mhalf[a] = std::exp(-0.5 * model.blocks[a]);
  }
  simple = true;
  star_entry.assign(star.size(), -1);
  for (int64_t i = 0; i < D && simple; ++i) {
    if (star_ptr[i + 1] - star_ptr[i] != 1 + model.indptr[i + 1] - model.indptr[i]) simple = false;  // duplicates
    for (int64_t a = star_ptr[i]; a < star_ptr[i + 1] && simple; ++a) {
      if (star[size_t(a)] == i) continue;
      for (int64_t e = model.indptr[i]; e < model.indptr[i + 1]; ++e)
        if (model.indices[e] == star[size_t(a)]) star_entry[size_t(a)] = e;
    }
  }
}

void PairwisePrepared::grad_row(const uint8_t* x, int64_t i, double* out) const {
  const int64_t K = m->n_states, KK = K * K;
  for (int64_t k = 0; k < K; ++k) out[k] = m->bias[size_t(i * K + k)];
  for (int64_t e = m->indptr[i]; e < m->indptr[i + 1]; ++e) {
    const double* r = &blocks_t[size_t(e * KK + x[m->indices[e]] * K)];
    for (int64_t k = 0; k < K; ++k) out[k] += r[k];
  }
}

namespace {

// Leaf of move (s, k): exp(log_weight(d[s, k]) - shift), zero for the current state.
inline double leaf_value(Kind kind, const PairChain& c, int64_t K, int64_t s, int64_t k) {
  const uint8_t xs = c.x[size_t(s)];
  if (k == xs) return 0.0;
  return std::exp(log_weight(kind, c.g[size_t(s * K + k)] - c.g[size_t(s * K + xs)]) - c.shift);
}

inline bool tree_unsafe(const SumTree& t) {
  const double z = t.total();
  return !(z > 1e-250 && z < 1e250);
}

// Every state change goes through here (running records kept in step).
inline void note_move(PairChain& c, int64_t K, int64_t i, uint8_t from, uint8_t to) {
  c.x[size_t(i)] = to;
  const uint8_t r = c.ref[size_t(i)];
  c.hamming += int64_t(to != r) - int64_t(from != r);
  c.ones += int64_t(to) - int64_t(from);
  if (c.counts) {
    c.counts[i * K + from] += c.kept_seen - c.since[size_t(i)];
    c.since[size_t(i)] = c.kept_seen;
  }
  if (c.lin_w) c.lin += c.lin_w[i * K + to] - c.lin_w[i * K + from];
}

// Proposal-weighted single-site move: draw (site, state) from the tree, MH with Z(x) / Z(y).
void tree_multi_step(const PairwisePrepared& p, Kind kind, int64_t n_flips, PairChain& c) {
  c.draws.clear();
  const double z = c.tree.total();
  for (int64_t n = 0; n < n_flips; ++n) {
    const int64_t idx = c.tree.find(c.rng.uniform() * z);
    if (c.tree.leaf(idx) <= 0.0) return;  // round-off landed on an empty leaf: stay (rare)
    c.draws.push_back(idx);
  }
  pair_try_moves(p, kind, c, c.draws, c.multi);
  if (!c.multi.consistent) return;
  if (c.multi.log_ratio >= 0.0 || std::log(c.rng.uniform_pos()) < c.multi.log_ratio) {
    c.f += c.multi.delta;
    ++c.accepted;
  } else {
    pair_undo_moves(p, kind, c, c.multi);
  }
}

void tree_step(const PairwisePrepared& p, Kind kind, PairChain& c) {
  const int64_t K = p.m->n_states;
  const int64_t idx = c.tree.find(c.rng.uniform() * c.tree.total());
  if (c.tree.leaf(idx) <= 0.0) return;  // round-off landed on an empty leaf: stay (rare)
  const TrialMove mv = pair_try_move(p, kind, c, idx / K, uint8_t(idx % K));
  if (mv.ratio >= 1.0 || c.rng.uniform() < mv.ratio) {
    c.f += mv.delta;
    ++c.accepted;
  } else {
    pair_undo_move(p, kind, c, mv);
  }
}

inline int64_t scan_site(const SamplerConfig& cfg, PairChain& c, int64_t D, Kind systematic) {
  return cfg.kind == systematic ? int64_t(c.steps % uint64_t(D)) : int64_t(c.rng.below(uint64_t(D)));
}

void gibbs_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c) {
  const int64_t K = p.m->n_states;
  const int64_t i = scan_site(cfg, c, p.m->dim, Kind::GibbsSystematic);
  c.row.resize(size_t(K));
  c.key.resize(size_t(K));
  pair_site_conditional(p, c, i, c.key.data());
  const double u = c.rng.uniform();
  double cum = 0.0;
  int64_t to = K - 1;
  for (int64_t k = 0; k < K - 1; ++k) {
    cum += c.key[size_t(k)];
    if (u < cum) { to = k; break; }
  }
  const uint8_t from = c.x[size_t(i)];
  if (to == from) return;
  p.grad_row(c.x.data(), i, c.row.data());
  pair_set_site(p, c, i, uint8_t(to), c.row[size_t(to)] - c.row[from]);
  ++c.accepted;
}

void random_walk_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c) {
  const int64_t K = p.m->n_states;
  const int64_t i = scan_site(cfg, c, p.m->dim, Kind::RandomWalkSystematic);
  const uint8_t from = c.x[size_t(i)];
  const int64_t r = int64_t(c.rng.below(uint64_t(K - 1)));
  const uint8_t to = uint8_t(r >= from ? r + 1 : r);
  c.row.resize(size_t(K));
  p.grad_row(c.x.data(), i, c.row.data());
  const double d = c.row[to] - c.row[from];
  if (d >= 0.0 || std::log(c.rng.uniform_pos()) < d) {
    pair_set_site(p, c, i, to, d);
    ++c.accepted;
  }
}

// Moves the chain to ball point `index` (0: stay) around its current state.
void go_to_point(const PairwisePrepared& p, PairChain& c, int64_t start, int64_t index, double delta) {
  const auto [site, to] = pair_ball_point(c, p.m->n_states, start, index);
  if (site >= 0) pair_set_site(p, c, site, to, delta);
}

void hamming_ball_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c) {
  const int64_t D = p.m->dim, K = p.m->n_states;
  const int64_t n_blocks = (D + cfg.block_size - 1) / cfg.block_size;
  const int64_t start = int64_t(c.rng.below(uint64_t(n_blocks))) * cfg.block_size;
  const int64_t len = std::min(cfg.block_size, D - start);
  const int64_t n_points = 1 + len * (K - 1);
  // u uniform in the radius-1 ball around x within the block
  const int64_t aux = int64_t(c.rng.below(uint64_t(n_points)));
  const auto [aux_site, aux_to] = pair_ball_point(c, K, start, aux);
  const uint8_t aux_from = aux_site >= 0 ? c.x[size_t(aux_site)] : 0;
  if (aux_site >= 0) {
    c.row.resize(size_t(K));
    p.grad_row(c.x.data(), aux_site, c.row.data());
    pair_set_site(p, c, aux_site, aux_to, c.row[aux_to] - c.row[aux_from]);
  }
  // x' ~ pi on the ball around u (Gumbel-max over its points)
  pair_ball_log_weights(p, c, start, len, c.key);
  int64_t best = 0;
  double best_key = c.key[0] + c.rng.gumbel();
  for (int64_t n = 1; n < n_points; ++n) {
    const double k = c.key[size_t(n)] + c.rng.gumbel();
    if (k > best_key) { best_key = k; best = n; }
  }
  const auto [best_site, best_to] = pair_ball_point(c, K, start, best);
  go_to_point(p, c, start, best, c.key[size_t(best)]);
  // moved unless x' == x (u = x and stay, or the second move undid the first)
  const bool back = aux_site < 0 ? best_site < 0 : best_site == aux_site && best_to == aux_from;
  if (!back) ++c.accepted;
}

// Block Gibbs: the block's sites drawn exactly from their joint conditional.
void block_gibbs_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c) {
  const BlockSpan b = block_span(p.m->dim, cfg.block_size, cfg.kind == Kind::BlockGibbsSystematic, c.steps, c.rng);
  BlockConditional& bc = c.block;
  pair_block_conditional(p, c.x.data(), b.start, b.len, bc);
  const int64_t from = bc.index_of(c.x.data() + b.start);
  const int64_t to = bc.draw(c.rng.uniform());
  if (to == from) return;
  double delta = bc.log_w[size_t(to)] - bc.log_w[size_t(from)];
  for (int64_t s = 0; s < b.len; ++s) {
    const uint8_t k = uint8_t(bc.digit(to, s));
    if (k == c.x[size_t(b.start + s)]) continue;
    pair_set_site(p, c, b.start + s, k, delta);  // f moves once, by the whole block's change
    delta = 0.0;
  }
  ++c.accepted;
}

}  // namespace

void pair_block_conditional(const PairwisePrepared& p, const uint8_t* x, int64_t start, int64_t len,
                            BlockConditional& bc) {
  const PairwiseModel& m = *p.m;
  const int64_t K = m.n_states, KK = K * K;
  bc.reset(K, len);
  for (int64_t s = 0; s < len; ++s) {
    const int64_t i = start + s;
    double* r = &bc.rows[size_t(s * K)];
    for (int64_t k = 0; k < K; ++k) r[k] = m.bias[size_t(i * K + k)];
    for (int64_t e = m.indptr[i]; e < m.indptr[i + 1]; ++e) {
      const int64_t j = m.indices[e];
      if (j >= start && j < start + len) {
        bc.add_pair(s, j - start, &m.blocks[size_t(e * KK)], 0.5);
      } else {
        const double* col = &p.blocks_t[size_t(e * KK + x[j] * K)];
        for (int64_t k = 0; k < K; ++k) r[k] += col[k];
      }
    }
  }
  bc.enumerate();
}

void PairChain::rebuild_tree(const PairwisePrepared& p, Kind kind) {
  const int64_t D = p.m->dim, K = p.m->n_states;
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t s = 0; s < D; ++s) {
    const double gx = g[size_t(s * K + x[size_t(s)])];
    for (int64_t k = 0; k < K; ++k)
      if (k != x[size_t(s)]) mx = std::max(mx, log_weight(kind, g[size_t(s * K + k)] - gx));
  }
  shift = mx;
  exp_mshift = std::exp(-shift);
  tree.build(D * K, [&](int64_t idx) { return leaf_value(kind, *this, K, idx / K, idx % K); });
}

void PairChain::reset(const PairwisePrepared& p, const SamplerConfig& cfg, const uint8_t* x0,
                      const uint8_t* ref0) {
  const int64_t D = p.m->dim, K = p.m->n_states;
  x.assign(x0, x0 + D);
  ref.assign(size_t(D), 0);
  if (ref0) ref.assign(ref0, ref0 + D);
  hamming = ones = 0;
  for (int64_t i = 0; i < D; ++i) {
    hamming += x[size_t(i)] != ref[size_t(i)];
    ones += x[size_t(i)];
  }
  counts = nullptr;
  lin_w = nullptr;
  f = p.m->log_prob(x.data());
  if (pair_uses_tree(cfg.kind)) {
    g.resize(size_t(D * K));
    p.m->grad(x.data(), g.data());
    tree.resize(D * K);
    rebuild_tree(p, cfg.kind);
  }
}

namespace {

// Writes site -> to (g of the neighbours, state, the leaves of the site's star), logging old
// values; the tree's ancestors are left to the caller's refresh.
double apply_move(const PairwisePrepared& p, Kind kind, PairChain& c, int64_t site, uint8_t to) {
  const PairwiseModel& m = *p.m;
  const int64_t K = m.n_states;
  const uint8_t from = c.x[size_t(site)];
  const double delta = c.g[size_t(site * K + to)] - c.g[size_t(site * K + from)];
  for (int64_t e = m.indptr[site]; e < m.indptr[site + 1]; ++e) {
    const int64_t base = m.indices[e] * K;
    for (int64_t k = 0; k < K; ++k) c.saved_g.emplace_back(base + k, c.g[size_t(base + k)]);
  }
  const double w_to = c.tree.leaf(site * K + to);
  m.move_grad(site, from, to, c.g.data());
  note_move(c, K, site, from, to);
  if (sqrt_weights(kind) && p.simple && w_to > 1e-150 && c.exp_mshift < 1e150 && c.exp_mshift > 1e-150) {
    // exp(d / 2 - shift) leaves change by factors: the site's own by exp(-d[site, to] / 2),
    // neighbour j's by exp((dJ[k] - dJ[x_j]) / 2) with dJ = J_ij[to, .] - J_ij[from, .]
    const double self = c.exp_mshift / w_to;
    const int64_t KK = K * K;
    for (int64_t a = p.star_ptr[site]; a < p.star_ptr[site + 1]; ++a) {
      const int64_t s = p.star[size_t(a)], e = p.star_entry[size_t(a)];
      const uint8_t xs = c.x[size_t(s)];
      const double* Et = e >= 0 ? &p.exp_half[size_t(e * KK + to * K)] : nullptr;
      const double* Ef = e >= 0 ? &p.exp_mhalf[size_t(e * KK + from * K)] : nullptr;
      const double common = e >= 0 ? p.exp_half[size_t(e * KK + from * K + xs)] *
                                         p.exp_mhalf[size_t(e * KK + to * K + xs)]
                                   : 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t leaf = s * K + k;
        const double old = c.tree.leaf(leaf);
        c.saved_leaf.emplace_back(leaf, old);
        double w;
        if (k == xs) w = 0.0;
        else if (e < 0) w = k == from ? c.exp_mshift * self : old * self;
        else w = old > 1e-250 ? old * (Et[k] * Ef[k] * common) : leaf_value(kind, c, K, s, k);
        c.tree.set_leaf(leaf, w);
        c.touched.push_back(leaf);
      }
    }
    return delta;
  }
  for (int64_t a = p.star_ptr[site]; a < p.star_ptr[site + 1]; ++a) {
    const int64_t s = p.star[size_t(a)];
    for (int64_t k = 0; k < K; ++k) {
      const int64_t leaf = s * K + k;
      c.saved_leaf.emplace_back(leaf, c.tree.leaf(leaf));
      c.tree.set_leaf(leaf, leaf_value(kind, c, K, s, k));
      c.touched.push_back(leaf);
    }
  }
  return delta;
}

// Restores the logged g and leaves (or rebuilds the tree when it was rescaled).
void restore_logged(const PairwisePrepared& p, Kind kind, PairChain& c, bool rebuilt) {
  for (auto it = c.saved_g.rbegin(); it != c.saved_g.rend(); ++it) c.g[size_t(it->first)] = it->second;
  if (rebuilt) {  // leaves were rescaled: rebuild from the restored state
    c.rebuild_tree(p, kind);
    return;
  }
  c.touched.clear();
  for (auto it = c.saved_leaf.rbegin(); it != c.saved_leaf.rend(); ++it) c.tree.set_leaf(it->first, it->second);
  for (const auto& e : c.saved_leaf) c.touched.push_back(e.first);
  std::sort(c.touched.begin(), c.touched.end());
  c.touched.erase(std::unique(c.touched.begin(), c.touched.end()), c.touched.end());
  c.tree.refresh(c.touched);
}

}  // namespace

TrialMove pair_try_move(const PairwisePrepared& p, Kind kind, PairChain& c, int64_t site, uint8_t to) {
  TrialMove mv;
  mv.site = site;
  mv.from = c.x[size_t(site)];
  mv.to = to;
  const double z = c.tree.total(), shift_before = c.shift;
  c.saved_g.clear();
  c.saved_leaf.clear();
  c.touched.clear();
  mv.delta = apply_move(p, kind, c, site, to);
  c.tree.refresh(c.touched);  // the star's leaves are ascending
  if (tree_unsafe(c.tree)) {
    c.rebuild_tree(p, kind);
    mv.rebuilt = true;
  }
  const double z_new = c.tree.total();
  // normalisers are compared at their own shifts: Z = z e^shift
  mv.ratio = mv.rebuilt ? std::exp(std::log(z) - std::log(z_new) + shift_before - c.shift) : z / z_new;
  return mv;
}

void pair_try_moves(const PairwisePrepared& p, Kind kind, PairChain& c, const std::vector<int64_t>& draws,
                    TrialMoves& mv) {
  const int64_t K = p.m->n_states;
  mv.sites.clear();
  mv.from.clear();
  mv.to.clear();
  mv.delta = 0.0;
  mv.rebuilt = false;
  mv.consistent = true;
  // distinct sites with their drawn state; a site drawn with two different states: stay
  for (int64_t a : draws) {
    const int64_t site = a / K;
    const uint8_t to = uint8_t(a % K);
    const auto at = std::find(mv.sites.begin(), mv.sites.end(), site);
    if (at == mv.sites.end()) {
      mv.sites.push_back(site);
      mv.to.push_back(to);
    } else if (mv.to[size_t(at - mv.sites.begin())] != to) {
      mv.consistent = false;
      mv.log_ratio = -std::numeric_limits<double>::infinity();
      return;
    }
  }
  const double z = c.tree.total();
  double log_fwd = 0.0;
  for (int64_t a : draws) log_fwd += std::log(c.tree.leaf(a) / z);
  c.saved_g.clear();
  c.saved_leaf.clear();
  c.touched.clear();
  for (size_t n = 0; n < mv.sites.size(); ++n) {
    mv.from.push_back(c.x[size_t(mv.sites[n])]);
    mv.delta += apply_move(p, kind, c, mv.sites[n], mv.to[n]);
  }
  std::sort(c.touched.begin(), c.touched.end());
  c.touched.erase(std::unique(c.touched.begin(), c.touched.end()), c.touched.end());
  c.tree.refresh(c.touched);
  if (tree_unsafe(c.tree)) {
    c.rebuild_tree(p, kind);
    mv.rebuilt = true;
  }
  // leaf / total ratios do not depend on the shift, so a rebuild in between is harmless
  const double z_new = c.tree.total();
  double log_rev = 0.0;
  for (int64_t a : draws) {
    const int64_t site = a / K;
    const size_t n = size_t(std::find(mv.sites.begin(), mv.sites.end(), site) - mv.sites.begin());
    log_rev += std::log(c.tree.leaf(site * K + mv.from[n]) / z_new);
  }
  mv.log_ratio = mv.delta + log_rev - log_fwd;
}

void pair_undo_moves(const PairwisePrepared& p, Kind kind, PairChain& c, const TrialMoves& mv) {
  if (!mv.consistent) return;
  for (size_t n = mv.sites.size(); n-- > 0;) note_move(c, p.m->n_states, mv.sites[n], mv.to[n], mv.from[n]);
  restore_logged(p, kind, c, mv.rebuilt);
}

void pair_undo_move(const PairwisePrepared& p, Kind kind, PairChain& c, const TrialMove& mv) {
  note_move(c, p.m->n_states, mv.site, mv.to, mv.from);
  restore_logged(p, kind, c, mv.rebuilt);
}

void pair_site_conditional(const PairwisePrepared& p, const PairChain& c, int64_t i, double* prob) {
  const int64_t K = p.m->n_states;
  p.grad_row(c.x.data(), i, prob);
  const double mx = *std::max_element(prob, prob + K);
  double z = 0.0;
  for (int64_t k = 0; k < K; ++k) z += (prob[k] = std::exp(prob[k] - mx));
  for (int64_t k = 0; k < K; ++k) prob[k] /= z;
}

void pair_set_site(const PairwisePrepared& p, PairChain& c, int64_t i, uint8_t to, double delta) {
  note_move(c, p.m->n_states, i, c.x[size_t(i)], to);
  c.f += delta;
}

std::pair<int64_t, uint8_t> pair_ball_point(const PairChain& c, int64_t n_states, int64_t start, int64_t index) {
  if (index == 0) return {-1, 0};
  const int64_t n = index - 1, site = start + n / (n_states - 1), r = n % (n_states - 1);
  const uint8_t cur = c.x[size_t(site)];
  return {site, uint8_t(r >= cur ? r + 1 : r)};
}

void pair_ball_log_weights(const PairwisePrepared& p, const PairChain& c, int64_t start, int64_t len,
                           std::vector<double>& out) {
  const int64_t K = p.m->n_states;
  out.assign(size_t(1 + len * (K - 1)), 0.0);
  std::vector<double> row(static_cast<size_t>(K));
  int64_t at = 1;
  for (int64_t s = 0; s < len; ++s) {
    const int64_t i = start + s;
    p.grad_row(c.x.data(), i, row.data());
    const uint8_t cur = c.x[size_t(i)];
    for (int64_t k = 0; k < K; ++k)
      if (k != cur) out[size_t(at++)] = row[size_t(k)] - row[cur];
  }
}

double pair_linear(const PairChain& c, int64_t n_states, const double* w) {
  double s = 0.0;
  for (size_t i = 0; i < c.x.size(); ++i) s += w[int64_t(i) * n_states + c.x[i]];
  return s;
}

void pair_step(const PairwisePrepared& p, const SamplerConfig& cfg, PairChain& c) {
  const PairwiseModel& m = *p.m;
  switch (cfg.kind) {
    case Kind::Gwg:
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin:
      if (cfg.n_flips > 1) tree_multi_step(p, cfg.kind, cfg.n_flips, c);
      else tree_step(p, cfg.kind, c);
      break;
    case Kind::GibbsSystematic:
    case Kind::GibbsRandom:
      gibbs_step(p, cfg, c);
      break;
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic:
      random_walk_step(p, cfg, c);
      break;
    case Kind::HammingBall:
      hamming_ball_step(p, cfg, c);
      break;
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic:
      block_gibbs_step(p, cfg, c);
      break;
    default:  // kinds without a pairwise step: PairRun::start refuses them
      break;
  }
  ++c.steps;
  // Incremental g and f accumulate rounding: recompute now and then (O(nnz K)).
  if (c.steps % uint64_t(64 * m.dim) == 0) {
    c.f = m.log_prob(c.x.data());
    if (c.lin_w) c.lin = pair_linear(c, m.n_states, c.lin_w);
    if (pair_uses_tree(cfg.kind)) {
      m.grad(c.x.data(), c.g.data());
      c.rebuild_tree(p, cfg.kind);
    }
  }
}

}  // namespace ttsolve::mcmc
