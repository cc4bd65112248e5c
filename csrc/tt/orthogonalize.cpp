// QR-based orthogonalisation of tensor-train cores.
//
// Left-orthogonal core k: its (r_k n_k) x r_{k+1} unfolding has orthonormal columns.
// Right-orthogonal core k: its r_k x (n_k r_{k+1}) unfolding has orthonormal rows.
// The R factors are pushed into the neighbouring core after rescaling by a power of two,
// so that a thousand cores of norm 10 do not overflow; the exponent is returned apart.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/lapack.hpp"
#include "tt/ops.hpp"
#include "tt/run_pair.hpp"

namespace ttsolve::tt {
namespace {

/// The result's cores are written step by step; until a step has written core k, core k is
/// still the input's (so the input is not copied up front: every core is rewritten anyway).
struct Sweep {
  const TensorTrain& x;
  TensorTrain& t;
  const std::vector<double>& core(int64_t k) const { return t.cores[k].empty() ? x.cores[k] : t.cores[k]; }
};

double frobenius(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

/// Core k becomes left-orthogonal; the R factor moves into core k+1. Returns ||R||_F as
/// stored (after its power-of-two rescaling).
double left_step(const Sweep& s, int64_t k, int64_t& exp2) {
  TensorTrain& t = s.t;
  const int64_t r0 = t.ranks[k], n = t.dims[k], r1 = t.ranks[k + 1];
  const int64_t n2 = t.dims[k + 1], r2 = t.ranks[k + 2];
  std::vector<double> Q, R;
  la::qr(r0 * n, r1, s.core(k).data(), Q, R);
  const int64_t kk = std::min(r0 * n, r1);
  rescale_pow2(R, exp2);
  std::vector<double> next(kk * n2 * r2);
  la::gemm(false, false, kk, n2 * r2, r1, 1.0, R.data(), r1, s.core(k + 1).data(), n2 * r2, 0.0,
           next.data(), n2 * r2);
  t.cores[k].swap(Q);
  t.cores[k + 1].swap(next);
  t.ranks[k + 1] = kk;
  return frobenius(R);
}

/// Core k becomes right-orthogonal; the L factor moves into core k-1. Returns ||L||_F as stored.
double right_step(const Sweep& s, int64_t k, int64_t& exp2) {
  TensorTrain& t = s.t;
  const int64_t r0 = t.ranks[k], n = t.dims[k], r1 = t.ranks[k + 1];
  const int64_t rp = t.ranks[k - 1], np = t.dims[k - 1];
  const int64_t cols = n * r1;
  if (t.cores[k].empty()) t.cores[k] = s.x.cores[k];  // factorised in place
  std::vector<double> L;
  la::lq_inplace(r0, cols, t.cores[k].data(), L);  // core k (r0 x n r1) = L Q
  const int64_t kk = std::min(cols, r0);
  t.cores[k].resize(kk * cols);
  rescale_pow2(L, exp2);
  if (kk == r0) {  // L square lower-triangular: core k-1 <- core k-1 L by TRMM
    if (t.cores[k - 1].empty()) t.cores[k - 1] = s.x.cores[k - 1];
    la::trmm_lower(false, false, rp * np, r0, t.cores[k - 1].data(), L.data());
  } else {
    std::vector<double> prev(rp * np * kk);
    la::gemm(false, false, rp * np, kk, r0, 1.0, s.core(k - 1).data(), r0, L.data(), kk, 0.0, prev.data(), kk);
    t.cores[k - 1].swap(prev);
  }
  t.ranks[k] = kk;
  return frobenius(L);
}

}  // namespace

ScaledTrain orthogonalize_scaled(const TensorTrain& x, int64_t mu, Interrupt* intr) {
  const int64_t d = x.ndim();
  if (mu < 0 || mu >= d)
    throw std::out_of_range("core position " + std::to_string(mu) + " is out of range for " +
                            std::to_string(d) + " cores");
  ScaledTrain out;
  out.tt.dims = x.dims;
  out.tt.ranks = x.ranks;
  out.tt.cores.resize(d);
  const Sweep sweep{x, out.tt};
  // The left sweep (cores 0..mu-1) and the right sweep (cores mu+1..d-1) touch disjoint
  // cores and ranks until their last steps, which both update core mu: run them side by
  // side, then take the two last steps one after the other.
  int64_t exp_left = 0, exp_right = 0;
  run_pair(
      [&] {
        for (int64_t k = 0; k + 1 < mu && !(intr && intr->poll()); ++k) left_step(sweep, k, exp_left);
      },
      [&] {
        for (int64_t k = d - 1; k > mu + 1 && !(intr && intr->requested()); --k) right_step(sweep, k, exp_right);
      });
  check_interrupt(intr);
  // Core mu becomes R G_mu L. Its rounding noise (that of the product and, through R and L,
  // of every earlier QR step) is a small multiple of u ||R|| ||G_mu|| ||L||; a centre below
  // that level is zero to working precision (x - x, say), see ScaledTrain::center_noise.
  const double g_mu = d > 1 ? frobenius(x.cores[mu]) : 0.0;
  const double r_norm = mu >= 1 ? left_step(sweep, mu - 1, exp_left) : 1.0;
  const double l_norm = mu + 1 <= d - 1 ? right_step(sweep, mu + 1, exp_right) : 1.0;
  out.center_noise = 8.0 * std::sqrt(double(d)) * 1.1102230246251565e-16 * r_norm * g_mu * l_norm;
  for (int64_t k = 0; k < d; ++k)  // only d = 1 leaves a core untouched
    if (out.tt.cores[k].empty()) out.tt.cores[k] = x.cores[k];
  out.exp2 = exp_left + exp_right;
  return out;
}

double log_norm(const TensorTrain& x, Interrupt* intr) {
  // Orthogonalised around the middle (both halves concurrently), ||x|| = ||core mu||.
  const int64_t mu = x.ndim() / 2;
  const ScaledTrain s = orthogonalize_scaled(x, mu, intr);
  const auto& center = s.tt.cores[mu];
  double m = 0.0, sum = 0.0;
  for (double v : center) m = std::max(m, std::fabs(v));
  if (m == 0.0) return -INFINITY;
  for (double v : center) sum += (v / m) * (v / m);
  return std::log(m) + 0.5 * std::log(sum) + double(s.exp2) * 0.69314718055994530942;
}

TensorTrain orthogonalize(const TensorTrain& x, int64_t mu, Interrupt* intr) {
  ScaledTrain s = orthogonalize_scaled(x, mu, intr);
  scale_core_pow2(s.tt, mu, s.exp2);
  return std::move(s.tt);
}

}  // namespace ttsolve::tt
