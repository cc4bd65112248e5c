#include "testing/pairwise_transition_rows.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mcmc/pairwise_run.hpp"

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

namespace {

int64_t state_index(const std::vector<uint8_t>& x, int64_t K) {
  int64_t idx = 0;
  for (uint8_t v : x) idx = idx * K + v;
  return idx;
}

}  // namespace

std::vector<double> pair_transition_row(const PairwiseModel& m, const SamplerConfig& cfg, const uint8_t* x,
                                        int64_t site) {
  m.validate();
  check_pairwise_config(cfg, m.dim, m.n_states);
  const int64_t D = m.dim, K = m.n_states;
  if (double(D) * std::log2(double(K)) > 20.0) throw std::invalid_argument("transition rows need K^D <= 2^20");
  if (site < 0 || site >= D) throw std::invalid_argument("site must be in [0, dim)");
  for (int64_t i = 0; i < D; ++i)
    if (x[i] >= K) throw std::invalid_argument("x states must be in 0..K-1");
  int64_t n = 1;
  for (int64_t i = 0; i < D; ++i) n *= K;
  PairwisePrepared p;
  p.prepare(m);
  PairChain c;
  c.reset(p, cfg, x, nullptr);
  std::vector<double> row(static_cast<size_t>(n), 0.0);
  const int64_t here = state_index(c.x, K);
  std::vector<double> prob(static_cast<size_t>(K));
  switch (cfg.kind) {
    case Kind::Gwg:
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin: {
      std::vector<double> q(size_t(D * K));
      if (cfg.n_flips > 1) {  // every sequence of n draws, with the kernel's own multi-move ratio
        for (int64_t a = 0; a < D * K; ++a) q[a] = c.tree.leaf(a) / c.tree.total();
        int64_t count = 1;
        for (int64_t k = 0; k < cfg.n_flips; ++k) {
          if (count > (int64_t(1) << 22) / (D * K)) throw std::invalid_argument("too many draw sequences");
          count *= D * K;
        }
        std::vector<int64_t> draws(size_t(cfg.n_flips));
        TrialMoves mv;
        for (int64_t code = 0; code < count; ++code) {
          int64_t r = code;
          double prob = 1.0;
          for (auto& d : draws) { d = r % (D * K); r /= D * K; prob *= q[size_t(d)]; }
          if (prob <= 0.0) continue;
          pair_try_moves(p, cfg.kind, c, draws, mv);
          const double acc = mv.consistent ? (mv.log_ratio >= 0 ? 1.0 : std::exp(mv.log_ratio)) : 0.0;
          row[size_t(state_index(c.x, K))] += prob * acc;
          row[size_t(here)] += prob * (1.0 - acc);
          pair_undo_moves(p, cfg.kind, c, mv);
        }
        break;
      }
      for (int64_t a = 0; a < D * K; ++a) q[a] = c.tree.leaf(a) / c.tree.total();
      for (int64_t a = 0; a < D * K; ++a) {
        if (q[a] <= 0.0) continue;
        const TrialMove mv = pair_try_move(p, cfg.kind, c, a / K, uint8_t(a % K));
        const double acc = std::min(1.0, mv.ratio);
        row[size_t(state_index(c.x, K))] += q[a] * acc;
        row[size_t(here)] += q[a] * (1.0 - acc);
        pair_undo_move(p, cfg.kind, c, mv);
      }
      break;
    }
    case Kind::GibbsSystematic:
    case Kind::GibbsRandom:
      for (int64_t i = 0; i < D; ++i) {
        if (cfg.kind == Kind::GibbsSystematic && i != site) continue;
        const double w = cfg.kind == Kind::GibbsSystematic ? 1.0 : 1.0 / double(D);
        pair_site_conditional(p, c, i, prob.data());
        const uint8_t keep = c.x[size_t(i)];
        for (int64_t k = 0; k < K; ++k) {
          c.x[size_t(i)] = uint8_t(k);
          row[size_t(state_index(c.x, K))] += w * prob[size_t(k)];
        }
        c.x[size_t(i)] = keep;
      }
      break;
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic:
      for (int64_t i = 0; i < D; ++i) {
        if (cfg.kind == Kind::RandomWalkSystematic && i != site) continue;
        const double w = (cfg.kind == Kind::RandomWalkSystematic ? 1.0 : 1.0 / double(D)) / double(K - 1);
        p.grad_row(c.x.data(), i, prob.data());
        const uint8_t keep = c.x[size_t(i)];
        for (int64_t k = 0; k < K; ++k) {
          if (k == keep) continue;
          const double d = prob[size_t(k)] - prob[keep];
          const double acc = d >= 0.0 ? 1.0 : std::exp(d);
          c.x[size_t(i)] = uint8_t(k);
          row[size_t(state_index(c.x, K))] += w * acc;
          c.x[size_t(i)] = keep;
          row[size_t(here)] += w * (1.0 - acc);
        }
      }
      break;
    case Kind::HammingBall: {
      const int64_t n_blocks = (D + cfg.block_size - 1) / cfg.block_size;
      std::vector<double> lw;
      for (int64_t b = 0; b < n_blocks; ++b) {
        const int64_t start = b * cfg.block_size, len = std::min(cfg.block_size, D - start);
        const int64_t n_points = 1 + len * (K - 1);
        const double w = 1.0 / double(n_blocks) / double(n_points);
        for (int64_t aux = 0; aux < n_points; ++aux) {
          PairChain u = c;  // u: x moved to ball point aux
          const auto [s, to] = pair_ball_point(u, K, start, aux);
          if (s >= 0) u.x[size_t(s)] = to;
          pair_ball_log_weights(p, u, start, len, lw);
          const double mx = *std::max_element(lw.begin(), lw.end());
          double z = 0.0;
          for (double v : lw) z += std::exp(v - mx);
          for (int64_t pt = 0; pt < n_points; ++pt) {
            PairChain y = u;
            const auto [s2, to2] = pair_ball_point(y, K, start, pt);
            if (s2 >= 0) y.x[size_t(s2)] = to2;
            row[size_t(state_index(y.x, K))] += w * std::exp(lw[size_t(pt)] - mx) / z;
          }
        }
      }
      break;
    }
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic: {  // the kernel's own enumerated conditional per block
      BlockConditional bc;
      for_each_step_block(D, cfg.block_size, cfg.kind == Kind::BlockGibbsSystematic, site,
                          [&](int64_t start, int64_t len, double w) {
                            pair_block_conditional(p, c.x.data(), start, len, bc);
                            std::vector<uint8_t> y = c.x;
                            for (int64_t z = 0; z < int64_t(bc.w.size()); ++z) {
                              for (int64_t s = 0; s < len; ++s) y[size_t(start + s)] = uint8_t(bc.digit(z, s));
                              row[size_t(state_index(y, K))] += w * bc.w[size_t(z)] / bc.total;
                            }
                          });
      break;
    }
    default:
      throw std::invalid_argument("this kind has no pairwise transition row");
  }
  return row;
}

}  // namespace ttsolve::testing
