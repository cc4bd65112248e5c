// Proposal arithmetic of the multi-coordinate gradient samplers (DMALA / DULA, PAS, DLMC,
// multi-flip GWG), independent of the model: every function here reads the gradient table
// g (D x K, row-major) of the one-hot relaxation at a state x and writes proposal tables.
// The chains (mcmc/gradient_run.hpp) and the transition-matrix oracle
// (testing/gradient_transitions.hpp) both use these, so the probabilities the oracle checks
// are the ones the sampler draws from.
//
// d[i, k] = g[i, k] - g[i, x_i] estimates the change of f when site i alone moves to k
// (exact for models linear per site, e.g. PairwiseModel; first order otherwise). The
// balancing function w(t), with w(t) = t w(1/t), enters in log scale: b(d) = log w(e^d):
//   sqrt d / 2, barker log sigmoid(d), max max(d, 0), min min(d, 0).
//
// Factorised kinds (every site moves independently; p[i * K + k] = q_i(k | x)):
//   dmala / dula   logit k != x_i: b(d[i, k]) - 1 / (2 alpha), logit x_i: 0, softmax.
//   dlmc           row x_i of exp(t Q_i), Q_i[a, b] = w(exp(g[i, b] - g[i, a])) (a != b):
//                  K = 2 closed form p_flip = sigmoid(d) (1 - exp(-t (w(e^d) + w(e^-d))));
//                  K > 2 "expm" by a symmetric eigensolve (Q_i is reversible w.r.t.
//                  nu ~ exp(g[i])), or "interpolate" (DISCS's closed form, exact for K = 2).
// Path kinds (pas, gwg_multi): site weights w_i = sum_{k != x_i} exp(b(d[i, k])) and, within
// a site, v[i, k] = exp(b(d[i, k])) / w_i over k != x_i.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mcmc/kinds.hpp"

namespace ttsolve::mcmc {

enum class Balance { Sqrt, Barker, Max, Min };
enum class DlmcSolver { Expm, Interpolate };

/// log w(e^d) of the balancing function.
inline double balance_log(Balance b, double d) {
  switch (b) {
    case Balance::Barker:  // log sigmoid(d)
      return d >= 0 ? -std::log1p(std::exp(-d)) : d - std::log1p(std::exp(d));
    case Balance::Max: return d > 0.0 ? d : 0.0;
    case Balance::Min: return d < 0.0 ? d : 0.0;
    default: return 0.5 * d;
  }
}

struct GradientConfig {
  Kind kind = Kind::Dmala;
  Balance balance = Balance::Sqrt;
  DlmcSolver solver = DlmcSolver::Expm;
  double step_size = 0.5;       // dmala / dula alpha
  double time = 1.0;            // dlmc t
  int64_t path_length = 1;      // pas: L (fixed) or its maximum (uniform); gwg_multi: n_flips
  bool uniform_length = false;  // pas: L ~ uniform on 1..path_length
  bool adaptive = false;        // adapt the scale during burn-in toward target_acceptance
  double target_acceptance = 0.574;

  /// Sets option `name` from its text value (names as in the kinds.hpp params column);
  /// std::invalid_argument naming the option on a bad name or value.
  void set(const std::string& name, const std::string& value);
  /// std::invalid_argument naming the option on bad values for this model size.
  void validate(int64_t dim, int64_t n_states) const;

  bool factorised() const { return kind == Kind::Dmala || kind == Kind::Dula || kind == Kind::Dlmc; }
  bool path() const { return kind == Kind::Pas || kind == Kind::GwgMulti; }
  /// The adapted quantity in log scale: log alpha, log t or log L.
  double log_scale() const;
  /// The config with the adapted scale exp(theta) in place (L rounded into [1, dim]).
  GradientConfig with_log_scale(double theta, int64_t dim) const;
  /// The adapted quantity itself (alpha, t or L) as reported.
  double scale() const;
};

/// True for the kinds the gradient engine runs.
bool is_gradient_kind(Kind kind);

/// Factorised proposal at x: prob (D x K) = q_i(k | x) for every site (rows sum to 1),
/// given the gradient table g at x.
void factorised_table(const GradientConfig& cfg, int64_t D, int64_t K, const uint8_t* x, const double* g,
                      double* prob);

/// The same rows for the listed sites only: row i = sites[t] of prob (x, g and prob indexed
/// by site as in factorised_table).
void factorised_rows(const GradientConfig& cfg, int64_t K, const int64_t* sites, int64_t n, const uint8_t* x,
                     const double* g, double* prob);

/// Path-proposal tables at x: log_w (D) = log site weight (minus a common shift) and
/// log_v (D x K) = log within-site probabilities (-inf at k = x_i); returns the shift.
void path_tables(const GradientConfig& cfg, int64_t D, int64_t K, const uint8_t* x, const double* g,
                 double* log_w, double* log_v);

/// log P(drawing the distinct sites `order` in this order without replacement) from site
/// weights exp(log_w); on_path (D) marks exactly the sites of `order` (scratch, restored).
double log_ordered_draws(int64_t D, const double* log_w, const std::vector<int64_t>& order,
                         bool reversed, std::vector<uint8_t>& on_path);

/// log P(the multiset `counts` of n = sum counts draws with replacement) up to the
/// multinomial coefficient (which cancels in the MH ratio): sum_i c_i log p_i.
double log_counts(int64_t D, const double* log_w, const std::vector<int64_t>& sites,
                  const std::vector<int64_t>& counts);

/// Row x_i of exp(t Q) for the rate matrix Q[a, b] = w(exp(h[b] - h[a])) (K >= 2), into
/// out (K probabilities); scratch holds at least 3 K^2 + 2 K doubles.
void dlmc_expm_row(Balance bal, int64_t K, const double* h, int64_t x_i, double t, double* out,
                   double* scratch);

}  // namespace ttsolve::mcmc
