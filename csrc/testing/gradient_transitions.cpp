#include "testing/gradient_transitions.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "mcmc/gradient_models.hpp"

namespace ttsolve::testing {

using namespace ttsolve::mcmc;

double OnehotQuadratic::log_prob(const uint8_t* x) const {
  const int64_t K = n_states, n = dim * K;
  double f = 0.0;
  for (int64_t i = 0; i < dim; ++i) {
    const int64_t p = i * K + x[i];
    f += b[size_t(p)];
    for (int64_t j = 0; j < dim; ++j) f += 0.5 * A[size_t(p * n + j * K + x[j])];
  }
  return f;
}

void OnehotQuadratic::grad(const uint8_t* x, double* g) const {
  const int64_t K = n_states, n = dim * K;
  for (int64_t p = 0; p < n; ++p) {
    double s = b[size_t(p)];
    for (int64_t j = 0; j < dim; ++j) s += A[size_t(p * n + j * K + x[j])];
    g[p] = s;
  }
}

namespace {

template <class Model>
std::vector<double> transition_matrix(const Model& m, const GradientConfig& cfg) {
  cfg.validate(m.dim, m.n_states);
  const int64_t D = m.dim, K = m.n_states;
  int64_t N = 1;
  for (int64_t i = 0; i < D; ++i) {
    N *= K;
    if (N > 4096) throw std::invalid_argument("transition matrices need K^D <= 4096");
  }
  const size_t n = static_cast<size_t>(N), d = static_cast<size_t>(D), k = static_cast<size_t>(K);
  std::vector<std::vector<uint8_t>> S(n, std::vector<uint8_t>(d));
  std::vector<double> f(n), g(d * k), tab(n * d * k), lw(n * d);
  for (int64_t r = 0; r < N; ++r) {
    int64_t v = r;
    for (int64_t i = D - 1; i >= 0; --i) {
      S[r][size_t(i)] = uint8_t(v % K);
      v /= K;
    }
    f[r] = value_and_grad(m, S[r].data(), g.data());
    if (cfg.factorised()) factorised_table(cfg, D, K, S[r].data(), g.data(), &tab[size_t(r * D * K)]);
    else path_tables(cfg, D, K, S[r].data(), g.data(), &lw[size_t(r * D)], &tab[size_t(r * D * K)]);
  }
  std::vector<double> T(n * n, 0.0);
  std::vector<uint8_t> mark(d, 0);
  const bool pas = cfg.kind == Kind::Pas;
  for (int64_t x = 0; x < N; ++x) {
    const double* tx = &tab[size_t(x * D * K)];
    for (int64_t y = 0; y < N; ++y) {
      if (y == x) continue;
      const double* ty = &tab[size_t(y * D * K)];
      std::vector<int64_t> diff;
      for (int64_t i = 0; i < D; ++i)
        if (S[x][size_t(i)] != S[y][size_t(i)]) diff.push_back(i);
      double t_xy = 0.0;
      if (cfg.factorised()) {
        double lq = 0.0, lr = 0.0;
        for (int64_t i = 0; i < D; ++i) {
          lq += std::log(tx[i * K + S[y][size_t(i)]]);
          lr += std::log(ty[i * K + S[x][size_t(i)]]);
        }
        const double la = f[y] - f[x] + lr - lq;
        t_xy = cfg.kind == Kind::Dula ? std::exp(lq) : std::exp(lq + std::min(0.0, std::isnan(la) ? -INFINITY : la));
      } else {
        double vals_fwd = 0.0, vals_rev = 0.0;
        for (int64_t i : diff) {
          vals_fwd += tx[i * K + S[y][size_t(i)]];
          vals_rev += ty[i * K + S[x][size_t(i)]];
        }
        const int64_t L = int64_t(diff.size());
        const double* lwx = &lw[size_t(x * D)];
        const double* lwy = &lw[size_t(y * D)];
        auto add = [&](double weight, double lf, double lr) {
          const double la = f[y] - f[x] + lr - lf;
          t_xy += weight * std::exp(lf + std::min(0.0, la));
        };
        if (pas) {
          double p_len = cfg.uniform_length ? (L <= cfg.path_length ? 1.0 / double(cfg.path_length) : 0.0)
                                            : (L == cfg.path_length ? 1.0 : 0.0);
          if (p_len > 0.0) {
            std::vector<int64_t> perm = diff;
            do {
              add(p_len, log_ordered_draws(D, lwx, perm, false, mark) + vals_fwd,
                  log_ordered_draws(D, lwy, perm, true, mark) + vals_rev);
            } while (std::next_permutation(perm.begin(), perm.end()));
          }
        } else if (L <= cfg.path_length) {  // compositions of n draws over the L sites
          const int64_t n = cfg.path_length;
          std::vector<int64_t> c(static_cast<size_t>(L), 1);
          std::function<void(int64_t, int64_t)> rec = [&](int64_t pos, int64_t left) {
            if (pos == L - 1) {
              c[size_t(pos)] = 1 + left;
              double log_multi = std::lgamma(double(n + 1));
              for (int64_t ci : c) log_multi -= std::lgamma(double(ci + 1));
              add(std::exp(log_multi), log_counts(D, lwx, diff, c) + vals_fwd, log_counts(D, lwy, diff, c) + vals_rev);
              return;
            }
            for (int64_t extra = 0; extra <= left; ++extra) {
              c[size_t(pos)] = 1 + extra;
              rec(pos + 1, left - extra);
            }
          };
          if (L >= 1) rec(0, n - L);
        }
      }
      T[size_t(x * N + y)] = t_xy;
    }
    double off = 0.0;
    for (int64_t y = 0; y < N; ++y)
      if (y != x) off += T[size_t(x * N + y)];
    T[size_t(x * N + x)] = 1.0 - off;
  }
  return T;
}

}  // namespace

std::vector<double> gradient_transition_matrix(const PairwiseModel& m, const GradientConfig& cfg) {
  return transition_matrix(m, cfg);
}
std::vector<double> gradient_transition_matrix(const OnehotQuadratic& m, const GradientConfig& cfg) {
  return transition_matrix(m, cfg);
}
std::vector<double> gradient_transition_matrix(const RbmGradModel& m, const GradientConfig& cfg) {
  return transition_matrix(m, cfg);
}

}  // namespace ttsolve::testing
