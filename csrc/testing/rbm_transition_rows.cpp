#include "testing/rbm_transition_rows.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "mcmc/quadratic_samplers.hpp"
#include "mcmc/rbm_run.hpp"
#include "mcmc/rbm_site_run.hpp"

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

namespace {

int64_t state_index(const std::vector<uint8_t>& x) {
  int64_t idx = 0;
  for (uint8_t v : x) idx = 2 * idx + v;
  return idx;
}

// Every flip difference at x: all at once (the locally balanced path) or site by site.
std::vector<double> deltas_at(const RbmModel& m, const RbmFlipTables& t, const std::vector<uint8_t>& x,
                              bool all_at_once) {
  const int64_t D = m.dim, H = m.n_hidden;
  const size_t h = static_cast<size_t>(H), n = static_cast<size_t>(D);
  std::vector<double> A(h), sig(h), sbar(h), d(n), work(3 * n);
  m.preactivations(x.data(), A.data());
  hidden_terms(A.data(), H, sig.data(), sbar.data());
  if (all_at_once) {
    flip_deltas(m, t, 1, x.data(), sig.data(), sbar.data(), d.data(), work.data());
  } else {
    for (int64_t i = 0; i < D; ++i) d[i] = flip_delta(m, t, x.data(), sig.data(), sbar.data(), i);
  }
  return d;
}

// The compiled GWG's (rbm_run.cpp) tables at x: f (softplus sum of A from scratch), half, cdf
// and log z from its own gradient and proposal functions (one GEMM row).
struct GwgTables {
  double f = 0.0, log_z = 0.0;
  std::vector<double> half, cdf;
};
GwgTables gwg_tables(const RbmModel& m, const std::vector<uint8_t>& x) {
  const size_t D = size_t(m.dim), H = size_t(m.n_hidden);
  std::vector<double> A(H);
  std::vector<float> S(H), G(D);
  GwgTables t;
  t.half.resize(D);
  t.cdf.resize(D);
  m.preactivations(x.data(), A.data());
  t.f = softplus_sum_and_sigmoid(A.data(), m.n_hidden, S.data());
  for (size_t i = 0; i < D; ++i) t.f += x[i] ? m.b[i] : 0.0;
  rbm_gradient_product(m, 1, S.data(), G.data());
  rbm_gwg_proposal(m, x.data(), G.data(), 1, t.half.data(), t.cdf.data(), t.log_z);
  return t;
}

}  // namespace

std::vector<double> rbm_transition_row(const RbmModel& m, Kind kind, int64_t block_size, const uint8_t* x0,
                                       int64_t site) {
  const int64_t D = m.dim;
  if (D > 16) throw std::invalid_argument("transition rows are only for dim <= 16");
  if (!rbm_site_kind(kind) && kind != Kind::Gwg)
    throw std::invalid_argument(std::string("no RBM transition row for kind '") + kind_row(kind).kernel + "'");
  if (site < 0 || site >= D) throw std::invalid_argument("site must be in [0, dim)");
  RbmModel model = m;
  model.prepare();
  RbmFlipTables t;
  t.prepare(model, true, true);
  std::vector<uint8_t> x(x0, x0 + D);
  const int64_t here = state_index(x);
  std::vector<double> row(size_t(1) << D, 0.0);
  auto to = [&](std::vector<uint8_t> y, int64_t i) { y[i] ^= 1; return state_index(y); };
  switch (kind) {
    case Kind::LbSqrt:
    case Kind::LbBarker:
    case Kind::LbMax:
    case Kind::LbMin: {
      const double fx = model.log_prob(x.data());
      const size_t n = static_cast<size_t>(D);
      std::vector<double> lw(n), cdf(n), lw_y(n), cdf_y(n);
      const std::vector<double> d = deltas_at(model, t, x, true);
      const double log_z = balanced_weights(kind, d.data(), D, lw.data(), cdf.data());
      for (int64_t i = 0; i < D; ++i) {
        std::vector<uint8_t> y = x;
        y[i] ^= 1;
        const std::vector<double> dy = deltas_at(model, t, y, true);
        const double log_z_y = balanced_weights(kind, dy.data(), D, lw_y.data(), cdf_y.data());
        const double log_accept = model.log_prob(y.data()) - fx + (lw_y[i] - log_z_y) - (lw[i] - log_z);
        const double q = std::exp(lw[i] - log_z), a = log_accept >= 0 ? 1.0 : std::exp(log_accept);
        row[state_index(y)] += q * a;
        row[here] += q * (1.0 - a);
      }
      break;
    }
    case Kind::GibbsRandom:
    case Kind::GibbsSystematic:
    case Kind::RandomWalk:
    case Kind::RandomWalkSystematic: {
      const std::vector<double> d = deltas_at(model, t, x, false);
      const bool systematic = kind == Kind::GibbsSystematic || kind == Kind::RandomWalkSystematic;
      const bool gibbs = kind == Kind::GibbsRandom || kind == Kind::GibbsSystematic;
      for (int64_t i = 0; i < D; ++i) {
        if (systematic && i != site) continue;
        const double q = systematic ? 1.0 : 1.0 / double(D);
        const double p = gibbs ? std::exp(log_weight(Kind::LbBarker, d[i])) : std::min(1.0, std::exp(d[i]));
        row[to(x, i)] += q * p;
        row[here] += q * (1.0 - p);
      }
      break;
    }
    case Kind::Gwg: {  // one flip: drawn by inverse CDF of cdf, MH with the reverse table at y
      const GwgTables tx = gwg_tables(model, x);
      for (int64_t i = 0; i < D; ++i) {
        const double q = (tx.cdf[i] - (i ? tx.cdf[i - 1] : 0.0)) / tx.cdf[D - 1];
        if (q == 0.0) continue;
        std::vector<uint8_t> y = x;
        y[i] ^= 1;
        const GwgTables ty = gwg_tables(model, y);
        const double log_accept = ty.f - tx.f + (ty.half[i] - ty.log_z) - (tx.half[i] - tx.log_z);
        const double a = log_accept >= 0 ? 1.0 : std::exp(log_accept);
        row[state_index(y)] += q * a;
        row[here] += q * (1.0 - a);
      }
      break;
    }
    case Kind::BlockGibbsRandom:
    case Kind::BlockGibbsSystematic: {  // the kernel's own block_walk from a chain at x
      const int64_t n_blocks = (D + block_size - 1) / block_size, H = model.n_hidden;
      const bool systematic = kind == Kind::BlockGibbsSystematic;
      for (int64_t blk = 0; blk < n_blocks; ++blk) {
        if (systematic && blk != site % n_blocks) continue;
        const int64_t start = blk * block_size, len = std::min(block_size, D - start);
        RbmSiteChain ch;
        ch.x = x;
        ch.ref.assign(size_t(D), 0);
        for (auto* v : {&ch.A, &ch.sig, &ch.sbar}) v->resize(size_t(H));
        model.preactivations(ch.x.data(), ch.A.data());
        hidden_terms(ch.A.data(), H, ch.sig.data(), ch.sbar.data());
        block_walk(model, t, ch, start, len);
        const double total = block_weights(ch);
        const double w = systematic ? 1.0 : 1.0 / double(n_blocks);
        for (uint32_t m = 0; m < uint32_t(1) << len; ++m) {
          std::vector<uint8_t> y = x;
          for (int64_t k = 0; k < len; ++k)
            if (m >> k & 1) y[start + k] ^= 1;
          row[state_index(y)] += w * ch.block_logit[m] / total;
        }
      }
      break;
    }
    case Kind::HammingBall: {
      const int64_t n_blocks = (D + block_size - 1) / block_size;
      for (int64_t b = 0; b < n_blocks; ++b) {
        const int64_t start = b * block_size, len = std::min(block_size, D - start);
        const double w = 1.0 / double(n_blocks) / double(len + 1);
        for (int64_t aux = 0; aux <= len; ++aux) {
          std::vector<uint8_t> u = x;
          if (aux < len) u[start + aux] ^= 1;
          const std::vector<double> d = deltas_at(model, t, u, false);
          double mx = 0.0;
          for (int64_t k = 0; k < len; ++k) mx = std::max(mx, d[start + k]);
          double z = std::exp(-mx);
          for (int64_t k = 0; k < len; ++k) z += std::exp(d[start + k] - mx);
          row[state_index(u)] += w * std::exp(-mx) / z;
          for (int64_t k = 0; k < len; ++k) row[to(u, start + k)] += w * std::exp(d[start + k] - mx) / z;
        }
      }
      break;
    }
    default:
      break;
  }
  return row;
}

}  // namespace ttsolve::testing
