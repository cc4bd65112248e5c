// Truncation of one bond of a rounding sweep: the kept singular basis of a small matrix B,
// computed either by an SVD of B or, when that is provably safe, from the eigen-
// decomposition of its Gram matrix (one GEMM + one small symmetric eig, several times
// cheaper than an SVD of the rectangular B; cf. Al Daas, Ballard et al., Gram-SVD rounding).
//
// Why the Gram path keeps the guarantee: the computed Gram matrix and its eigensolver
// are backward stable, i.e. we obtain the exact eigen-decomposition of G + E with
// ||E||_2 <= err = c (k + p) u ||B||_F^2 (k inner size, p Gram size, u unit roundoff).
// For the kept orthonormal basis Q and its complement W, the discarded part is
//   ||B - Q Q^T B||_F^2 = tr(W^T G W) <= sum of discarded eigenvalues + (p - r) err,
// so choosing r with "discarded eigenvalues + (p - r) err <= delta^2" bounds the true
// discarded norm by delta. The Gram path is used only where the noise p * err is tiny
// next to what is being discarded (delta^2, or the tail cut off by max_rank); otherwise
// (eps below ~1e-4: see kNoiseRatio*) the bond falls back to the SVD (error ~u ||B||).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/lapack.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {

namespace {

constexpr double kUnitRoundoff = std::numeric_limits<double>::epsilon() / 2;
constexpr double kBackwardErrorFactor = 4.0;  // c above: generous constant over gamma_{k+p}
// Gram only if the noise p * err is at most this fraction of what is discarded. When eps
// decides the rank, 1% costs at most a 1% smaller budget (the bound itself always holds);
// when max_rank decides, the error is within a factor 1 + 1e-8 of the SVD truncation's.
constexpr double kNoiseRatioEps = 1e-2;
constexpr double kNoiseRatioMaxRank = 1e-8;

}  // namespace

int64_t gram_rank(const std::vector<double>& lam, double err, double delta) {
  const int64_t p = static_cast<int64_t>(lam.size());
  const double budget = delta * delta;
  double tail = 0.0;
  int64_t r = p;
  while (r > 1 && tail + lam[r - 1] + double(p - r + 1) * err <= budget) {
    tail += lam[r - 1];
    --r;
  }
  return r;
}

void truncate_bond(bool left, int64_t M, int64_t N, const double* B, double delta, int64_t max_rank,
                   BondPath path, std::vector<double>& basis, std::vector<double>& s_kept, RoundStats* stats) {
  const int64_t p = left ? M : N, k = left ? N : M;
  if (path != BondPath::Svd && p > 1 && k > 0) {
    double nrm2 = 0.0;
    for (int64_t i = 0; i < M * N; ++i) nrm2 += B[i] * B[i];
    std::vector<double> G(p * p), lam, V;
    if (left)
      la::gemm(false, true, M, M, N, 1.0, B, N, B, N, 0.0, G.data(), M);  // B B^T
    else
      la::syrk_ata(M, N, 1.0, B, N, 0.0, G.data());  // B^T B
    const la::SymmetricEig eig(p, G.data());  // vectors below, only for the kept rank
    lam.assign(eig.values().rbegin(), eig.values().rend());
    for (double& l : lam) l = std::max(l, 0.0);
    const double err = kBackwardErrorFactor * double(k + p) * kUnitRoundoff * nrm2;
    int64_t r = gram_rank(lam, err, delta);
    double allowed_noise = kNoiseRatioEps * delta * delta;
    if (max_rank > 0 && max_rank < r) {
      double tail = 0.0;  // what max_rank cuts off
      for (int64_t j = max_rank; j < p; ++j) tail += lam[j];
      allowed_noise = kNoiseRatioMaxRank * tail;
      r = max_rank;
    }
    if (path == BondPath::Gram || double(p) * err <= allowed_noise) {
      eig.top_vectors(r, V);  // row j: eigenvector of the j-th largest eigenvalue
      basis.resize(p * r);
      for (int64_t j = 0; j < r; ++j) {
        const double* v = &V[j * p];
        if (left)
          for (int64_t i = 0; i < p; ++i) basis[i * r + j] = v[i];
        else
          std::copy(v, v + p, &basis[j * p]);
      }
      s_kept.resize(r);
      for (int64_t j = 0; j < r; ++j) s_kept[j] = std::sqrt(lam[j]);
      if (stats) ++stats->gram_bonds;
      return;
    }
  }
  std::vector<double> U, s, Vt;
  la::svd(M, N, B, U, s, Vt);
  const int64_t kk = static_cast<int64_t>(s.size()), r = truncation_rank(s, delta, max_rank);
  if (left) {
    basis.resize(M * r);
    for (int64_t i = 0; i < M; ++i) std::copy(&U[i * kk], &U[i * kk] + r, &basis[i * r]);
  } else {
    basis.assign(Vt.begin(), Vt.begin() + r * N);
  }
  s_kept.assign(s.begin(), s.begin() + r);
  if (stats) ++stats->svd_bonds;
}

}  // namespace ttsolve::tt
