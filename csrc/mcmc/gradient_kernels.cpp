#include "mcmc/gradient_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "mcmc/binary_rows.hpp"

namespace ttsolve::mcmc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline double log_sigmoid(double z) { return balance_log(Balance::Barker, z); }

double parse_positive(const std::string& name, const std::string& value) {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || !std::isfinite(v) || !(v > 0))
    throw std::invalid_argument(name + " must be a finite number > 0, got '" + value + "'");
  return v;
}

bool parse_flag(const std::string& name, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw std::invalid_argument(name + " must be true or false, got '" + value + "'");
}

// Cyclic Jacobi eigensolver for a symmetric n x n matrix A (overwritten); V (n x n) gets the
// eigenvectors as columns, w the eigenvalues. Small n only (a site's K states).
void jacobi_eigh(int64_t n, double* A, double* V, double* w) {
  for (int64_t i = 0; i < n * n; ++i) V[i] = 0.0;
  for (int64_t i = 0; i < n; ++i) V[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (int64_t p = 0; p < n; ++p) {
      diag += A[p * n + p] * A[p * n + p];
      for (int64_t q = p + 1; q < n; ++q) off += A[p * n + q] * A[p * n + q];
    }
    if (off <= 1e-34 * diag || off == 0.0) break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = A[p * n + q];
        if (apq == 0.0) continue;
        const double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // columns p, q
          const double akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {  // rows p, q
          const double apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < n; ++k) {
          const double vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  for (int64_t i = 0; i < n; ++i) w[i] = A[i * n + i];
}

}  // namespace

bool is_gradient_kind(Kind kind) {
  return kind == Kind::Dmala || kind == Kind::Dula || kind == Kind::Pas || kind == Kind::Dlmc ||
         kind == Kind::GwgMulti;
}

void GradientConfig::set(const std::string& name, const std::string& value) {
  if (name == "weight") {
    if (value == "sqrt") balance = Balance::Sqrt;
    else if (value == "barker" || value == "ratio") balance = Balance::Barker;
    else if (value == "max") balance = Balance::Max;
    else if (value == "min") balance = Balance::Min;
    else throw std::invalid_argument("weight must be 'sqrt', 'barker', 'max' or 'min', got '" + value + "'");
  } else if (name == "solver") {
    if (value == "expm") solver = DlmcSolver::Expm;
    else if (value == "interpolate") solver = DlmcSolver::Interpolate;
    else throw std::invalid_argument("solver must be 'expm' or 'interpolate', got '" + value + "'");
  } else if (name == "length") {
    if (value == "fixed") uniform_length = false;
    else if (value == "uniform") uniform_length = true;
    else throw std::invalid_argument("length must be 'fixed' or 'uniform', got '" + value + "'");
  } else if (name == "step_size") {
    step_size = parse_positive(name, value);
  } else if (name == "t") {
    time = parse_positive(name, value);
  } else if (name == "path_length" || name == "n_flips") {
    const double v = parse_positive(name, value);
    if (v != std::floor(v) || v > 1e15) throw std::invalid_argument(name + " must be an integer >= 1, got '" + value + "'");
    path_length = int64_t(v);
  } else if (name == "adaptive") {
    adaptive = parse_flag(name, value);
  } else if (name == "target_acceptance") {
    target_acceptance = parse_positive(name, value);
  } else {
    throw std::invalid_argument("unknown gradient sampler option '" + name +
                                "'; valid: weight, solver, length, step_size, t, path_length, n_flips, "
                                "adaptive, target_acceptance");
  }
}

void GradientConfig::validate(int64_t dim, int64_t n_states) const {
  if (!is_gradient_kind(kind))
    throw std::invalid_argument(std::string("sampler kind '") + kind_row(kind).kernel +
                                "' is not a gradient (multi-coordinate) kind");
  if (n_states < 2 || n_states > 255) throw std::invalid_argument("n_states must be in [2, 255]");
  if (!(step_size > 0) || !std::isfinite(step_size)) throw std::invalid_argument("step_size must be a finite number > 0");
  if (!(time > 0) || !std::isfinite(time)) throw std::invalid_argument("t must be a finite number > 0");
  if (path_length < 1 || path_length > dim)
    throw std::invalid_argument(std::string(kind == Kind::GwgMulti ? "n_flips" : "path_length") +
                                " must be in [1, dim] = [1, " + std::to_string(dim) + "], got " +
                                std::to_string(path_length));
  if (!(target_acceptance > 0 && target_acceptance < 1))
    throw std::invalid_argument("target_acceptance must be in (0, 1)");
}

double GradientConfig::log_scale() const {
  if (kind == Kind::Dmala || kind == Kind::Dula) return std::log(step_size);
  if (kind == Kind::Dlmc) return std::log(time);
  return std::log(double(path_length));
}

GradientConfig GradientConfig::with_log_scale(double theta, int64_t dim) const {
  GradientConfig c = *this;
  const double v = std::exp(theta);
  if (kind == Kind::Dmala || kind == Kind::Dula) c.step_size = v;
  else if (kind == Kind::Dlmc) c.time = v;
  else c.path_length = std::min<int64_t>(dim, std::max<int64_t>(1, int64_t(std::llround(std::min(v, 1e15)))));
  return c;
}

double GradientConfig::scale() const {
  if (kind == Kind::Dmala || kind == Kind::Dula) return step_size;
  if (kind == Kind::Dlmc) return time;
  return double(path_length);
}

namespace {

// 1 - e^{-a} for a >= 0 (inf included), to rounding: expm1 where it matters (a < ln 2, where
// 1 - e^{-a} cancels), 1 - exp(-a) above (exp is the cheaper call; no cancellation there),
// exactly 1 beyond 40 (e^{-40} < 2^-57: 1 - e^{-a} rounds to 1). Most moved sites of an
// adapted DLMC chain sit in the last range, where libm's expm1 is slowest.
inline double one_minus_exp_neg(double a) {
  if (a > 40.0) return 1.0;
  if (a > 0.6931471805599453) return 1.0 - std::exp(-a);
  return -std::expm1(-a);
}

constexpr int64_t kRowChunk = 128;  // K = 2 rows per vectorised call (buffers stay in L1)

// K = 2 rows of the factorised kinds, kRowChunk sites at a time (binary_flip_probs: four lanes,
// no libm call per site); the same function for the whole table and for the touched rows of the
// incremental step, so the values entering q(y | x) and q(x | y) come from one function.
template <class Site>
void binary_rows(const GradientConfig& cfg, int64_t n, Site&& site, const uint8_t* x, const double* g,
                 double* prob) {
  const Balance bal = cfg.balance;
  const bool dlmc = cfg.kind == Kind::Dlmc;
  const double c = 1.0 / (2.0 * cfg.step_size);
  int64_t idx[kRowChunk];
  double z[kRowChunk], stay[kRowChunk], flip[kRowChunk];
  for (int64_t r0 = 0; r0 < n; r0 += kRowChunk) {
    const int64_t m = std::min(kRowChunk, n - r0);
    for (int64_t k = 0; k < m; ++k) {
      const int64_t i = site(r0 + k);
      const int64_t a = x[i];
      const double d = g[2 * i + 1 - a] - g[2 * i + a];
      idx[k] = i;
      z[k] = dlmc ? d : balance_log(bal, d) - c;
    }
    binary_flip_probs(dlmc, bal, cfg.time, z, m, stay, flip);
    for (int64_t k = 0; k < m; ++k) {
      const int64_t i = idx[k], a = x[i];
      prob[2 * i + a] = stay[k];
      prob[2 * i + 1 - a] = flip[k];
    }
  }
}

}  // namespace

// The rows of the sites site(0..n) (factorised_table: every site; factorised_rows: a list).
template <class Site>
void table_rows(const GradientConfig& cfg, int64_t n, int64_t K, Site&& site, const uint8_t* x, const double* g,
                double* prob) {
  const Balance bal = cfg.balance;
  if (K == 2) return binary_rows(cfg, n, site, x, g, prob);
  if (cfg.kind == Kind::Dlmc) {
    const double t = cfg.time;
    if (cfg.solver == DlmcSolver::Expm) {
      std::vector<double> scratch(static_cast<size_t>(3 * K * K + 2 * K));
      for (int64_t r = 0; r < n; ++r) {
        const int64_t i = site(r);
        dlmc_expm_row(bal, K, g + i * K, x[i], t, prob + i * K, scratch.data());
      }
      return;
    }
    // interpolate: p_k = nu_k (1 - exp(-t r_k / nu_k)) for k != x_i, nu = softmax(d),
    // r_k = w(e^{d_k}); stay max(1 - sum p_k, nu_{x_i}); normalised. With m = max(0, max d),
    // E_k = e^{d_k - m} (E_{x_i} = e^{-m}) and S = sum E: nu_k = E_k / S, and for every
    // balancing function r_k / nu_k is S over a combination of E_k and E_{x_i} (sqrt:
    // sqrt(E_k E_x); barker: E_k + E_x; max: min(E_k, E_x); min: max(E_k, E_x)), so a row
    // costs K exps and K - 1 of 1 - e^{-a} (S >= 1; an underflowed denominator gives
    // r / nu = inf, i.e. p_k = nu_k, the limit).
    double p[256], E[256];  // K <= 255 (no allocation: the incremental step calls this per site)
    for (int64_t r = 0; r < n; ++r) {
      const int64_t i = site(r);
      const double* gi = g + i * K;
      const int64_t xi = x[i];
      const double gx = gi[xi];
      double mx = 0.0;
      for (int64_t k = 0; k < K; ++k) mx = std::max(mx, gi[k] - gx);
      double S = 0.0;
      for (int64_t k = 0; k < K; ++k) S += (E[k] = std::exp(gi[k] - gx - mx));
      const double inv_s = 1.0 / S, ex = E[xi];
      double moved = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        if (k == xi) continue;
        const double ek = E[k];
        double den;
        switch (bal) {
          case Balance::Barker: den = ek + ex; break;
          case Balance::Max: den = std::min(ek, ex); break;
          case Balance::Min: den = std::max(ek, ex); break;
          default: den = std::sqrt(ek * ex); break;
        }
        p[k] = ek * inv_s * one_minus_exp_neg(t * (S / den));
        moved += p[k];
      }
      p[xi] = std::max(1.0 - moved, ex * inv_s);
      double tot = 0.0;
      for (int64_t k = 0; k < K; ++k) tot += p[k];
      for (int64_t k = 0; k < K; ++k) prob[i * K + k] = p[k] / tot;
    }
    return;
  }
  // dmala / dula
  const double c = 1.0 / (2.0 * cfg.step_size);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = site(r);
    const double* gi = g + i * K;
    double* li = prob + i * K;
    const double gx = gi[x[i]];
    double mx = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      li[k] = k == x[i] ? 0.0 : balance_log(bal, gi[k] - gx) - c;
      mx = std::max(mx, li[k]);
    }
    double z = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      li[k] = std::exp(li[k] - mx);
      z += li[k];
    }
    const double inv = 1.0 / z;
    for (int64_t k = 0; k < K; ++k) li[k] *= inv;
  }
}

void factorised_table(const GradientConfig& cfg, int64_t D, int64_t K, const uint8_t* x, const double* g,
                      double* prob) {
  table_rows(cfg, D, K, [](int64_t i) { return i; }, x, g, prob);
}

void factorised_rows(const GradientConfig& cfg, int64_t K, const int64_t* sites, int64_t n, const uint8_t* x,
                     const double* g, double* prob) {
  table_rows(cfg, n, K, [sites](int64_t t) { return sites[t]; }, x, g, prob);
}

void path_tables(const GradientConfig& cfg, int64_t D, int64_t K, const uint8_t* x, const double* g,
                 double* log_w, double* log_v) {
  const Balance bal = cfg.balance;
  for (int64_t i = 0; i < D; ++i) {
    const double* gi = g + i * K;
    double* vi = log_v + i * K;
    const double gx = gi[x[i]];
    if (K == 2) {
      log_w[i] = balance_log(bal, gi[1 - x[i]] - gx);
      vi[x[i]] = -kInf;
      vi[1 - x[i]] = 0.0;
      continue;
    }
    double mx = -kInf;
    for (int64_t k = 0; k < K; ++k) {
      vi[k] = k == x[i] ? -kInf : balance_log(bal, gi[k] - gx);
      mx = std::max(mx, vi[k]);
    }
    double z = 0.0;
    for (int64_t k = 0; k < K; ++k)
      if (k != x[i]) z += std::exp(vi[k] - mx);
    const double lz = mx + std::log(z);
    for (int64_t k = 0; k < K; ++k)
      if (k != x[i]) vi[k] -= lz;
    log_w[i] = lz;
  }
}

double log_ordered_draws(int64_t D, const double* log_w, const std::vector<int64_t>& order, bool reversed,
                         std::vector<uint8_t>& on_path) {
  double mx = -kInf;
  for (int64_t i = 0; i < D; ++i) mx = std::max(mx, log_w[i]);
  for (int64_t i : order) on_path[size_t(i)] = 1;
  double rest = 0.0;  // weight of the sites off the path: sums of positives only
  for (int64_t i = 0; i < D; ++i)
    if (!on_path[size_t(i)]) rest += std::exp(log_w[i] - mx);
  for (int64_t i : order) on_path[size_t(i)] = 0;
  const int64_t L = int64_t(order.size());
  // draw j (in drawing order) sees the weight of the not yet drawn path sites plus `rest`:
  // accumulate from the last draw backwards.
  double lp = 0.0, remaining = rest;
  for (int64_t j = L - 1; j >= 0; --j) {
    const int64_t i = order[size_t(reversed ? L - 1 - j : j)];
    const double wi = std::exp(log_w[i] - mx);
    remaining += wi;
    lp += (log_w[i] - mx) - std::log(remaining);
  }
  return lp;
}

double log_counts(int64_t D, const double* log_w, const std::vector<int64_t>& sites,
                  const std::vector<int64_t>& counts) {
  double mx = -kInf;
  for (int64_t i = 0; i < D; ++i) mx = std::max(mx, log_w[i]);
  double z = 0.0;
  for (int64_t i = 0; i < D; ++i) z += std::exp(log_w[i] - mx);
  const double lz = mx + std::log(z);
  double lp = 0.0;
  for (size_t j = 0; j < sites.size(); ++j) lp += double(counts[j]) * (log_w[sites[j]] - lz);
  return lp;
}

void dlmc_expm_row(Balance bal, int64_t K, const double* h, int64_t x_i, double t, double* out,
                   double* scratch) {
  double* S = scratch;          // K x K symmetrised rate matrix
  double* V = S + K * K;        // eigenvectors
  double* w = V + K * K;        // eigenvalues
  double* half = w + K;         // (h - max h) / 2
  double mh = -kInf;
  for (int64_t k = 0; k < K; ++k) mh = std::max(mh, h[k]);
  for (int64_t k = 0; k < K; ++k) half[k] = 0.5 * (h[k] - mh);
  // S = diag(e^half) Q diag(e^-half): S[a, b] = e^{half_a - half_b} w(e^{h_b - h_a}) (a != b),
  // symmetric because w(t) = t w(1/t); S[a, a] = Q[a, a] = -sum_b Q[a, b].
  for (int64_t a = 0; a < K; ++a) {
    double out_rate = 0.0;
    for (int64_t b = 0; b < K; ++b) {
      if (a == b) continue;
      const double lq = balance_log(bal, h[b] - h[a]);
      out_rate += std::exp(std::min(700.0, lq));
      S[a * K + b] = std::exp(std::min(700.0, half[a] - half[b] + lq));
    }
    S[a * K + a] = -out_rate;
  }
  for (int64_t a = 0; a < K; ++a)
    for (int64_t b = a + 1; b < K; ++b) S[a * K + b] = S[b * K + a] = 0.5 * (S[a * K + b] + S[b * K + a]);
  jacobi_eigh(K, S, V, w);
  // exp(tQ)[x, b] = e^{-half_x} sum_m V[x, m] e^{t w_m} V[b, m] e^{half_b}; eigenvalues are
  // <= 0 (up to rounding), so every term is bounded.
  double tot = 0.0;
  for (int64_t b = 0; b < K; ++b) {
    double s = 0.0;
    for (int64_t m = 0; m < K; ++m) s += V[x_i * K + m] * std::exp(t * std::min(w[m], 0.0)) * V[b * K + m];
    out[b] = std::max(0.0, s * std::exp(half[b] - half[x_i]));
    tot += out[b];
  }
  for (int64_t b = 0; b < K; ++b) out[b] /= tot;
}

}  // namespace ttsolve::mcmc
