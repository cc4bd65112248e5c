// Scalar draws from one Philox stream for the reduced inner sampling of the PDE solver: standard
// normals (Marsaglia's polar method, the second value of each accepted pair kept for the next
// call) and chi-square variates through a gamma sampler (Marsaglia & Tsang 2000).
#pragma once
#include <cmath>
#include <cstdint>

#include "common/rng.hpp"

namespace ttsolve::pde {

/// N(0, 1) draws from rng: the polar method on 32-bit uniforms, as fill_normal_row, but the
/// second normal of an accepted pair is kept for the next call instead of being dropped.
class NormalDraws {
 public:
  explicit NormalDraws(Philox& rng) : rng_(rng) {}
  double next() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    constexpr double kScale = 0x1.0p-31;
    for (;;) {
      const double u = (double(rng_.next_u32()) + 0.5) * kScale - 1.0;
      const double v = (double(rng_.next_u32()) + 0.5) * kScale - 1.0;
      const double s = u * u + v * v;
      if (s >= 1.0 || s == 0.0) continue;
      const double f = std::sqrt(-2.0 * std::log(s) / s);
      spare_ = v * f;
      have_spare_ = true;
      return u * f;
    }
  }
  /// Uniform in (0, 1) (32 bits, never 0 or 1: safe for log).
  double uniform() { return (double(rng_.next_u32()) + 0.5) * 0x1.0p-32; }

 private:
  Philox& rng_;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

/// Chi-square(dof) sampler, dof >= 0 real: 2 Gamma(dof / 2, 1). Marsaglia-Tsang for shape
/// alpha >= 1 (one normal and one uniform per try, acceptance > 0.95 for alpha >= 1 and > 0.998
/// for alpha >= 20, the log needed only when the squeeze test fails); alpha < 1 by
/// Gamma(alpha) = Gamma(alpha + 1) U^(1 / alpha); dof = 0 gives 0. Constants are set once
/// per kernel call, the draws come from the caller's NormalDraws.
class ChiSquare {
 public:
  explicit ChiSquare(double dof) : zero_(dof <= 0.0) {
    const double alpha = 0.5 * dof;
    small_ = alpha < 1.0;
    inv_alpha_ = small_ && !zero_ ? 1.0 / alpha : 0.0;
    dd_ = (small_ ? alpha + 1.0 : alpha) - 1.0 / 3.0;
    c_ = 1.0 / std::sqrt(9.0 * dd_);
  }
  double operator()(NormalDraws& draws) const {
    if (zero_) return 0.0;
    double g;
    for (;;) {
      const double x = draws.next();
      double v = 1.0 + c_ * x;
      if (v <= 0.0) continue;
      v = v * v * v;
      const double u = draws.uniform();
      const double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + dd_ * (1.0 - v + std::log(v))) {
        g = dd_ * v;
        break;
      }
    }
    if (small_) g *= std::pow(draws.uniform(), inv_alpha_);
    return 2.0 * g;
  }

 private:
  bool zero_, small_;
  double inv_alpha_, dd_, c_;
};

}  // namespace ttsolve::pde
