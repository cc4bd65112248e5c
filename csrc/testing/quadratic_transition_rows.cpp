#include "testing/quadratic_transition_rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

namespace {

int64_t state_index(const std::vector<int8_t>& s) {
  int64_t idx = 0;
  for (int8_t v : s) idx = 2 * idx + (v > 0 ? 1 : 0);
  return idx;
}

std::vector<double> deltas_at(const SpinQuadratic& m, const std::vector<int8_t>& s) {
  std::vector<double> g(static_cast<size_t>(m.dim)), d(size_t(m.dim));
  m.fields(s.data(), g.data());
  for (int64_t i = 0; i < m.dim; ++i) d[i] = -2.0 * s[i] * g[i];
  return d;
}

// log proposal probabilities log softmax(log_weight(delta)) at s.
std::vector<double> log_proposal(const SpinQuadratic& m, Kind kind, const std::vector<int8_t>& s) {
  std::vector<double> lw = deltas_at(m, s);
  double mx = -std::numeric_limits<double>::infinity();
  for (double& v : lw) { v = log_weight(kind, v); mx = std::max(mx, v); }
  double z = 0.0;
  for (double v : lw) z += std::exp(v - mx);
  for (double& v : lw) v -= mx + std::log(z);
  return lw;
}

// Adds the ball-conditional move from u (radius 1 on [start, start+len)) with weight w.
void add_ball_moves(const SpinQuadratic& m, std::vector<int8_t> u, int64_t start, int64_t len, double w,
                    std::vector<double>& row) {
  const std::vector<double> d = deltas_at(m, u);
  double mx = 0.0;
  for (int64_t k = 0; k < len; ++k) mx = std::max(mx, d[start + k]);
  double z = std::exp(-mx);
  for (int64_t k = 0; k < len; ++k) z += std::exp(d[start + k] - mx);
  row[state_index(u)] += w * std::exp(-mx) / z;
  for (int64_t k = 0; k < len; ++k) {
    u[start + k] = int8_t(-u[start + k]);
    row[state_index(u)] += w * std::exp(d[start + k] - mx) / z;
    u[start + k] = int8_t(-u[start + k]);
  }
}

}  // namespace

std::vector<double> quad_transition_row(const SpinQuadratic& m, const SamplerConfig& cfg,
                                        const uint8_t* x01, int64_t site) {
  const int64_t D = m.dim;
  if (D > 20) throw std::invalid_argument("transition rows are only for dim <= 20");
  std::vector<int8_t> s(static_cast<size_t>(D));
  for (int64_t i = 0; i < D; ++i) s[i] = x01[i] ? 1 : -1;
  const double f0 = m.energy(s.data());
  const int64_t here = state_index(s);
  std::vector<double> row(size_t(1) << D, 0.0);
  const std::vector<double> d = deltas_at(m, s);
  auto add_mh = [&](int64_t i, double q, double log_ratio) {
    const double a = log_ratio >= 0 ? 1.0 : std::exp(log_ratio);
    s[i] = int8_t(-s[i]);
    row[state_index(s)] += q * a;
    s[i] = int8_t(-s[i]);
    row[here] += q * (1.0 - a);
  };
  switch (cfg.kind) {
    case Kind::Gwg:
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin: {
      const std::vector<double> lq = log_proposal(m, cfg.kind, s);
      const int64_t n = cfg.n_flips;
      int64_t count = 1;
      for (int64_t k = 0; k < n; ++k) {
        if (count > (int64_t(1) << 24) / D) throw std::invalid_argument("too many flip sequences");
        count *= D;
      }
      std::vector<int64_t> seq(static_cast<size_t>(n));
      for (int64_t code = 0; code < count; ++code) {
        int64_t r = code;
        double log_fwd = 0.0;
        std::vector<int8_t> t = s;
        std::vector<bool> flipped(static_cast<size_t>(D), false);
        for (int64_t k = 0; k < n; ++k) { seq[k] = r % D; r /= D; log_fwd += lq[seq[k]]; }
        for (int64_t k = 0; k < n; ++k)
          if (!flipped[seq[k]]) { flipped[seq[k]] = true; t[seq[k]] = int8_t(-t[seq[k]]); }
        const std::vector<double> lq_new = log_proposal(m, cfg.kind, t);
        double log_rev = 0.0;
        for (int64_t k = 0; k < n; ++k) log_rev += lq_new[seq[k]];
        const double log_ratio = m.energy(t.data()) - f0 + log_rev - log_fwd;
        const double a = log_ratio >= 0 ? 1.0 : std::exp(log_ratio);
        const double q = std::exp(log_fwd);
        row[state_index(t)] += q * a;
        row[here] += q * (1.0 - a);
      }
      break;
    }
    case Kind::GibbsSystematic:
    case Kind::GibbsRandom: {
      for (int64_t i = 0; i < D; ++i) {
        if (cfg.kind == Kind::GibbsSystematic && i != site) continue;
        const double q = cfg.kind == Kind::GibbsSystematic ? 1.0 : 1.0 / double(D);
        const double p = std::exp(log_weight(Kind::LbBarker, d[i]));  // heat bath
        s[i] = int8_t(-s[i]);
        row[state_index(s)] += q * p;
        s[i] = int8_t(-s[i]);
        row[here] += q * (1.0 - p);
      }
      break;
    }
    case Kind::RandomWalk:
      for (int64_t i = 0; i < D; ++i) add_mh(i, 1.0 / double(D), d[i]);
      break;
    case Kind::RandomWalkSystematic:  // the single-site kernel of `site`
      add_mh(site, 1.0, d[site]);
      break;
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic: {  // the kernel's own enumerated conditional per block
      BlockConditional bc;
      for_each_step_block(D, cfg.block_size, cfg.kind == Kind::BlockGibbsSystematic, site,
                          [&](int64_t start, int64_t len, double w) {
                            quad_block_conditional(m, s.data(), start, len, bc);
                            std::vector<int8_t> y = s;
                            for (int64_t z = 0; z < int64_t(bc.w.size()); ++z) {
                              for (int64_t a = 0; a < len; ++a) y[start + a] = bc.digit(z, a) ? 1 : -1;
                              row[state_index(y)] += w * bc.w[size_t(z)] / bc.total;
                            }
                          });
      break;
    }
    case Kind::BlockGibbs:
      throw std::invalid_argument("block_gibbs has no quadratic transition row");
    case Kind::HammingBall: {
      const int64_t n_blocks = (D + cfg.block_size - 1) / cfg.block_size;
      for (int64_t b = 0; b < n_blocks; ++b) {
        const int64_t start = b * cfg.block_size, len = std::min(cfg.block_size, D - start);
        const double w = 1.0 / double(n_blocks) / double(len + 1);
        add_ball_moves(m, s, start, len, w, row);
        for (int64_t k = 0; k < len; ++k) {
          std::vector<int8_t> u = s;
          u[start + k] = int8_t(-u[start + k]);
          add_ball_moves(m, u, start, len, w, row);
        }
      }
      break;
    }
  }
  return row;
}

}  // namespace ttsolve::testing
