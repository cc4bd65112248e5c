// TT rounding (Oseledets 2011, Alg. 2, run from the middle outwards on two threads):
// orthogonalise around the middle core, then truncate the bonds of each side with SVDs
// (or, where provably safe, Gram matrices + symmetric eig: bond_truncation.cpp).
// Each of the d-1 truncations discards at most delta = eps ||x|| / sqrt(d-1) in Frobenius
// norm and the errors add in squares, so ||x - round(x)||_F <= eps ||x||_F whenever
// max_rank does not bind.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "tt/ops.hpp"
#include "tt/run_pair.hpp"

namespace ttsolve::tt {

int64_t truncation_rank(const std::vector<double>& s, double delta, int64_t max_rank) {
  const int64_t k = static_cast<int64_t>(s.size());
  // Walk from the smallest singular value, discarding while the tail stays within delta.
  const double budget = delta * delta;
  double tail = 0.0;
  int64_t r = k;
  while (r > 1 && tail + s[r - 1] * s[r - 1] <= budget) {
    tail += s[r - 1] * s[r - 1];
    --r;
  }
  if (max_rank > 0) r = std::min(r, max_rank);
  return std::max<int64_t>(r, 1);
}

void apply_to_core_ranks(TensorTrain& t, int64_t mu, const double* L, bool trans_l, int64_t tl, const double* R,
                         bool trans_r, int64_t tr) {
  const int64_t r0 = t.ranks[mu], n = t.dims[mu], r1 = t.ranks[mu + 1];
  std::vector<double> left(tl * n * r1), core(tl * n * tr);
  la::gemm(trans_l, false, tl, n * r1, r0, 1.0, L, trans_l ? tl : r0, t.cores[mu].data(), n * r1, 0.0, left.data(),
           n * r1);
  la::gemm(false, trans_r, tl * n, tr, r1, 1.0, left.data(), r1, R, trans_r ? r1 : tr, 0.0, core.data(), tr);
  t.cores[mu].swap(core);
  t.ranks[mu] = tl;
  t.ranks[mu + 1] = tr;
}

namespace {

// Two-sided truncation of a train orthogonalised around core mu (cores < mu left-, cores
// > mu right-orthogonal). Because both outer parts are orthonormal, the bonds left of mu
// and the bonds right of mu can be truncated independently (and concurrently):
//   left:  x -> P_L x, orthogonal projections of the row spaces at bonds mu, mu-1, ..., 1;
//   right: x -> x P_R, projections of the column spaces at bonds mu+1, ..., d-1;
// and ||x - P_L x P_R||^2 <= ||x - P_L x||^2 + ||x - x P_R||^2 <= (d-1) delta^2.
// Each side only multiplies by the orthonormal singular vectors (no inverses): the new
// core k is U_k^T core_k U_{k+1}, where U_k are the kept left singular vectors at bond k.

/// Left side: writes only cores 0..mu-1 and ranks 1..mu-1 (reads core mu). On return
/// cores 0..mu-1 are projected and U (r_mu x ranks_out) holds the
/// kept singular vectors at bond mu, to be applied to core mu.
void truncate_left_side(TensorTrain& t, int64_t mu, double delta, int64_t max_rank, std::vector<double>& Umu,
                        int64_t& tmu, Interrupt* intr, BondPath path, RoundStats* stats) {
  if (mu == 0) {
    Umu.assign(1, 1.0);
    tmu = 1;
    return;
  }
  std::vector<double> s, G, B;
  // Bond mu: the singular values of x's unfolding are those of core mu's row unfolding.
  const int64_t rmu = t.ranks[mu];
  truncate_bond(true, rmu, t.dims[mu] * t.ranks[mu + 1], t.cores[mu].data(), delta, max_rank, path, Umu, s, stats);
  tmu = static_cast<int64_t>(s.size());
  std::vector<double> Ucur = Umu, scur = s;
  for (int64_t k = mu - 1; k >= 1; --k) {
    const int64_t r0 = t.ranks[k], n = t.dims[k], r1 = t.ranks[k + 1], tr = static_cast<int64_t>(scur.size());
    G.resize(r0 * n * tr);  // G = core_k U_{k+1} (r0 n x tr)
    la::gemm(false, false, r0 * n, tr, r1, 1.0, t.cores[k].data(), r1, Ucur.data(), tr, 0.0, G.data(), tr);
    B = G;  // singular values at bond k: those of G diag(s_{k+1}) unfolded as r0 x (n tr)
    for (int64_t i = 0; i < r0 * n; ++i)
      for (int64_t j = 0; j < tr; ++j) B[i * tr + j] *= scur[j];
    truncate_bond(true, r0, n * tr, B.data(), delta, max_rank, path, Ucur, scur, stats);
    const int64_t r = static_cast<int64_t>(scur.size());
    std::vector<double> core(r * n * tr);  // U_k^T G
    la::gemm(true, false, r, n * tr, r0, 1.0, Ucur.data(), r, G.data(), n * tr, 0.0, core.data(), n * tr);
    t.cores[k].swap(core);
    if (k + 1 < mu) t.ranks[k + 1] = tr;  // ranks[mu] is the other side's input: set last
    if (intr && intr->requested()) return;
  }
  // Core 0 = core_0 U_1.
  const int64_t n0 = t.dims[0], r1 = t.ranks[1], tr = static_cast<int64_t>(scur.size());
  std::vector<double> core(n0 * tr);
  la::gemm(false, false, n0, tr, r1, 1.0, t.cores[0].data(), r1, Ucur.data(), tr, 0.0, core.data(), tr);
  t.cores[0].swap(core);
  if (1 < mu) t.ranks[1] = tr;
}

/// Right side (mirror image): writes only cores mu+1..d-1 and ranks mu+2..d-1. On return cores mu+1..d-1 are projected and V (ranks_out x
/// r_{mu+1}) holds the kept right singular vectors at bond mu+1, to be applied to core mu.
void truncate_right_side(TensorTrain& t, int64_t mu, double delta, int64_t max_rank, std::vector<double>& Vmu,
                         int64_t& tmu, Interrupt* intr, BondPath path, RoundStats* stats) {
  const int64_t d = t.ndim();
  if (mu == d - 1) {
    Vmu.assign(1, 1.0);
    tmu = 1;
    return;
  }
  std::vector<double> s, G, B;
  const int64_t rmu1 = t.ranks[mu + 1];
  truncate_bond(false, t.ranks[mu] * t.dims[mu], rmu1, t.cores[mu].data(), delta, max_rank, path, Vmu, s, stats);
  tmu = static_cast<int64_t>(s.size());
  std::vector<double> Vcur = Vmu, scur = s;
  for (int64_t k = mu + 1; k <= d - 2; ++k) {
    const int64_t r0 = t.ranks[k], n = t.dims[k], r1 = t.ranks[k + 1], tr = static_cast<int64_t>(scur.size());
    G.resize(tr * n * r1);  // G = V_k core_k (tr x n r1)
    la::gemm(false, false, tr, n * r1, r0, 1.0, Vcur.data(), r0, t.cores[k].data(), n * r1, 0.0, G.data(), n * r1);
    B = G;  // singular values at bond k+1: those of diag(s_k) G unfolded as (tr n) x r1
    for (int64_t i = 0; i < tr; ++i)
      for (int64_t j = 0; j < n * r1; ++j) B[i * n * r1 + j] *= scur[i];
    truncate_bond(false, tr * n, r1, B.data(), delta, max_rank, path, Vcur, scur, stats);
    const int64_t r = static_cast<int64_t>(scur.size());
    std::vector<double> core(tr * n * r);  // G V_{k+1}^T
    la::gemm(false, true, tr * n, r, r1, 1.0, G.data(), r1, Vcur.data(), r1, 0.0, core.data(), r);
    t.cores[k].swap(core);
    if (k > mu + 1) t.ranks[k] = tr;  // ranks[mu+1] is the other side's input: set last
    if (intr && intr->requested()) return;
  }
  // Last core = V_{d-1} core_{d-1}.
  const int64_t rl = t.ranks[d - 1], nl = t.dims[d - 1], tr = static_cast<int64_t>(scur.size());
  std::vector<double> core(tr * nl);
  la::gemm(false, false, tr, nl, rl, 1.0, Vcur.data(), rl, t.cores[d - 1].data(), nl, 0.0, core.data(), nl);
  t.cores[d - 1].swap(core);
  if (d - 1 > mu + 1) t.ranks[d - 1] = tr;
}

}  // namespace

void truncate_around(ScaledTrain& st, int64_t mu, double eps, int64_t max_rank, Interrupt* intr, BondPath path,
                     RoundStats* stats) {
  TensorTrain& t = st.tt;
  const int64_t d = t.ndim();
  double nrm2 = 0.0;
  for (double v : t.cores[mu]) nrm2 += v * v;
  // Zero, or zero to working precision (below the orthogonalisation's noise, e.g. x - x):
  // the zero tensor, rank 1, as documented.
  if (nrm2 == 0.0 || std::sqrt(nrm2) <= st.center_noise) {
    st.tt = constant(t.dims, 0.0);
    st.exp2 = 0;
    return;
  }
  const double delta = d > 1 ? eps * std::sqrt(nrm2) / std::sqrt(double(d - 1)) : 0.0;
  std::vector<double> U, V;
  int64_t tl = 1, tr = 1;
  // Both sides read core mu and write disjoint cores and ranks.
  RoundStats left_stats, right_stats;  // one per thread, summed afterwards
  run_pair([&] { truncate_left_side(t, mu, delta, max_rank, U, tl, intr, path, &left_stats); },
           [&] { truncate_right_side(t, mu, delta, max_rank, V, tr, intr, path, &right_stats); });
  if (stats) {
    stats->gram_bonds += left_stats.gram_bonds + right_stats.gram_bonds;
    stats->svd_bonds += left_stats.svd_bonds + right_stats.svd_bonds;
  }
  check_interrupt(intr);
  apply_to_core_ranks(t, mu, U.data(), true, tl, V.data(), true, tr);  // core mu = U^T core_mu V^T
}

TensorTrain round(const TensorTrain& x, double eps, int64_t max_rank, Interrupt* intr, BondPath path,
                  RoundStats* stats) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  const int64_t mu = x.ndim() / 2;  // two sides of similar length, one per thread
  ScaledTrain st = orthogonalize_scaled(x, mu, intr);
  truncate_around(st, mu, eps, max_rank, intr, path, stats);
  distribute_pow2(st.tt, st.exp2);
  return std::move(st.tt);
}

}  // namespace ttsolve::tt
