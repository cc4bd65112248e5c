// Randomised TT rounding ("randomize-then-orthogonalize", Al Daas, Ballard, Cazeaux,
// Hallman, Miedlar, Pasha, Reid, Saibaba, SISC 2023, Alg. 3.2), run from both ends
// towards the middle core mu on two threads.
//
// With a random train Omega of ranks l = max_rank + oversample, W_k = <cores k.. of x,
// cores k.. of Omega> (R_k x l_k) sketches the column space of x's unfolding at bond k, and
// V_k = <cores ..k-1 of x, cores ..k-1 of Omega> (l_k x R_k) its row space. The left
// sweep projects cores 0..mu-1 on the ranges of (core W_{k+1}), the right sweep cores
// d-1..mu+1 on those of (V_k core): GEMMs and thin QRs of width l instead of QRs and SVDs
// of width R. Both are orthogonal projections acting on opposite sides, so the result is
// P_L x P_R, already orthogonalised around mu; truncate_around() then brings the ranks to
// (eps, max_rank).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "common/rng.hpp"
#include "tt/ops.hpp"
#include "tt/run_pair.hpp"

namespace ttsolve::tt {
namespace {

/// Sketch cores: Gaussian cores made orthonormal one by one, so that the sketch of every
/// unfolding is a matrix with orthonormal columns. (A plain Gaussian train of 50+ cores is
/// numerically rank-deficient: products of random matrices have exponentially spread
/// singular values, and the sketch then misses directions of the range entirely.)
/// right[k]: rows of the l_k x (n_k l_{k+1}) unfolding orthonormal (for the W chain);
/// left[k]: columns of the (l_k n_k) x l_{k+1} unfolding orthonormal (for the V chain).
/// Core k is drawn from Philox stream k, by two threads: independent of the thread count.
struct Sketch {
  std::vector<std::vector<double>> left, right;
};

Sketch orthonormal_sketch(const std::vector<int64_t>& dims, const std::vector<int64_t>& l, uint64_t seed) {
  const int64_t d = static_cast<int64_t>(dims.size());
  Sketch sk;
  sk.left.resize(d);
  sk.right.resize(d);
  auto draw = [&](int64_t begin, int64_t end) {
    std::vector<double> g, gt, Q, R;
    for (int64_t k = begin; k < end; ++k) {
      const int64_t l0 = l[k], n = dims[k], l1 = l[k + 1];
      g.resize(l0 * n * l1);
      Philox rng(seed, static_cast<uint64_t>(k));
      for (double& v : g) v = rng.normal();
      la::qr(l0 * n, l1, g.data(), Q, R);  // l1 <= l0 n by the rank caps
      sk.left[k] = Q;
      gt.resize(n * l1 * l0);  // rows: QR of the transposed unfolding
      for (int64_t a = 0; a < l0; ++a)
        for (int64_t j = 0; j < n * l1; ++j) gt[j * l0 + a] = g[a * n * l1 + j];
      la::qr(n * l1, l0, gt.data(), Q, R);  // l0 <= n l1 by the rank caps
      sk.right[k].resize(l0 * n * l1);
      for (int64_t j = 0; j < n * l1; ++j)
        for (int64_t a = 0; a < l0; ++a) sk.right[k][a * n * l1 + j] = Q[j * l0 + a];
    }
  };
  run_pair([&] { draw(0, d / 2); }, [&] { draw(d / 2, d); });
  return sk;
}

/// Left half: cores 0..mu-1 of `out` become the left-orthogonal projected cores and ML
/// (rank x R_mu) the projection to apply to core mu from the left.
void left_half(const TensorTrain& x, const std::vector<std::vector<double>>& omega, const std::vector<int64_t>& l,
               int64_t mu, TensorTrain& out, std::vector<double>& ML, int64_t& exp2, Interrupt* intr) {
  const int64_t d = x.ndim();
  // W[k] (R_k x l_k), right to left.
  std::vector<std::vector<double>> W(d + 1);
  W[d].assign(1, 1.0);
  std::vector<double> T;
  for (int64_t k = d - 1; k >= 1; --k) {
    const int64_t R0 = x.ranks[k], n = x.dims[k], R1 = x.ranks[k + 1], l0 = l[k], l1 = l[k + 1];
    T.resize(R0 * n * l1);
    la::gemm(false, false, R0 * n, l1, R1, 1.0, x.cores[k].data(), R1, W[k + 1].data(), l1, 0.0, T.data(), l1);
    W[k].resize(R0 * l0);
    la::gemm(false, true, R0, l0, n * l1, 1.0, T.data(), n * l1, omega[k].data(), n * l1, 0.0, W[k].data(), l0);
    int64_t unused = 0;  // the sketches only matter up to scale
    rescale_pow2(W[k], unused);
    if (intr && intr->poll()) return;
  }
  // Z (r_k n_k x R_{k+1}): core k of x with the previous projections applied.
  ML.assign(1, 1.0);  // (1 x R_0)
  std::vector<double> Z, Y, Q, Rf;
  for (int64_t k = 0; k < mu; ++k) {
    const int64_t r0 = out.ranks[k], n = x.dims[k], R0 = x.ranks[k], R1 = x.ranks[k + 1], l1 = l[k + 1];
    Z.resize(r0 * n * R1);
    la::gemm(false, false, r0, n * R1, R0, 1.0, ML.data(), R0, x.cores[k].data(), n * R1, 0.0, Z.data(), n * R1);
    Y.resize(r0 * n * l1);
    la::gemm(false, false, r0 * n, l1, R1, 1.0, Z.data(), R1, W[k + 1].data(), l1, 0.0, Y.data(), l1);
    la::qr(r0 * n, l1, Y.data(), Q, Rf);
    const int64_t kk = std::min(r0 * n, l1);
    ML.resize(kk * R1);  // Q^T Z
    la::gemm(true, false, kk, R1, r0 * n, 1.0, Q.data(), kk, Z.data(), R1, 0.0, ML.data(), R1);
    rescale_pow2(ML, exp2);
    out.cores[k].swap(Q);
    if (k + 1 < mu) out.ranks[k + 1] = kk;  // ranks[mu] is set by the caller
    if (intr && intr->poll()) return;
  }
}

/// Right half (mirror image): cores mu+1..d-1 become right-orthogonal projected cores and
/// MR (R_{mu+1} x rank) the projection to apply to core mu from the right.
void right_half(const TensorTrain& x, const std::vector<std::vector<double>>& omega, const std::vector<int64_t>& l,
                int64_t mu, TensorTrain& out, std::vector<double>& MR, int64_t& exp2, Interrupt* intr) {
  const int64_t d = x.ndim();
  // V[k] (l_k x R_k), left to right.
  std::vector<std::vector<double>> V(d + 1);
  V[0].assign(1, 1.0);
  std::vector<double> T;
  for (int64_t k = 0; k + 1 < d; ++k) {
    const int64_t R0 = x.ranks[k], n = x.dims[k], R1 = x.ranks[k + 1], l0 = l[k], l1 = l[k + 1];
    T.resize(l0 * n * R1);
    la::gemm(false, false, l0, n * R1, R0, 1.0, V[k].data(), R0, x.cores[k].data(), n * R1, 0.0, T.data(), n * R1);
    V[k + 1].resize(l1 * R1);
    la::gemm(true, false, l1, R1, l0 * n, 1.0, omega[k].data(), l1, T.data(), R1, 0.0, V[k + 1].data(), R1);
    int64_t unused = 0;
    rescale_pow2(V[k + 1], unused);
    if (intr && intr->requested()) return;
  }
  // Z (R_k x n_k r_{k+1}): core k of x with the later projections applied.
  MR.assign(1, 1.0);  // (R_d x 1)
  std::vector<double> Z, Yt, Q, Rf;
  for (int64_t k = d - 1; k > mu; --k) {
    const int64_t r1 = out.ranks[k + 1], n = x.dims[k], R0 = x.ranks[k], R1 = x.ranks[k + 1], l0 = l[k];
    Z.resize(R0 * n * r1);
    la::gemm(false, false, R0 * n, r1, R1, 1.0, x.cores[k].data(), R1, MR.data(), r1, 0.0, Z.data(), r1);
    // Row space of V_k Z (l0 x n r1): QR of its transpose (n r1 x l0) = Z^T V_k^T.
    Yt.resize(n * r1 * l0);
    la::gemm(true, true, n * r1, l0, R0, 1.0, Z.data(), n * r1, V[k].data(), R0, 0.0, Yt.data(), l0);
    la::qr(n * r1, l0, Yt.data(), Q, Rf);
    const int64_t kk = std::min(n * r1, l0);
    MR.resize(R0 * kk);  // Z Q
    la::gemm(false, false, R0, kk, n * r1, 1.0, Z.data(), n * r1, Q.data(), kk, 0.0, MR.data(), kk);
    rescale_pow2(MR, exp2);
    std::vector<double> core(kk * n * r1);  // Q^T
    for (int64_t j = 0; j < n * r1; ++j)
      for (int64_t a = 0; a < kk; ++a) core[a * n * r1 + j] = Q[j * kk + a];
    out.cores[k].swap(core);
    if (k > mu + 1) out.ranks[k] = kk;  // ranks[mu+1] is set by the caller
    if (intr && intr->requested()) return;
  }
}

}  // namespace

TensorTrain round_randomized(const TensorTrain& x, double eps, int64_t max_rank, int64_t oversample,
                             uint64_t seed, Interrupt* intr) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  if (max_rank < 1) throw std::invalid_argument("randomized rounding needs max_rank >= 1");
  if (oversample < 0) throw std::invalid_argument("oversample must be >= 0");
  const int64_t d = x.ndim();
  // A sketch as wide as the train itself saves nothing: use the deterministic rounding.
  const int64_t rmax = *std::max_element(x.ranks.begin(), x.ranks.end());
  if (d == 1 || max_rank + oversample >= rmax) return round(x, eps, max_rank, intr);
  // Sketch ranks: l, capped by what the unfoldings can hold.
  std::vector<int64_t> l(d + 1, max_rank + oversample);
  l[0] = l[d] = 1;
  for (int64_t k = 1; k < d; ++k) l[k] = std::min(l[k], l[k - 1] * x.dims[k - 1]);
  for (int64_t k = d - 1; k > 0; --k) l[k] = std::min(l[k], l[k + 1] * x.dims[k]);
  const Sketch sketch = orthonormal_sketch(x.dims, l, seed);

  const int64_t mu = d / 2;
  ScaledTrain st;
  TensorTrain& t = st.tt;
  t.dims = x.dims;
  t.ranks.assign(d + 1, 1);
  t.cores.resize(d);
  std::vector<double> ML, MR;
  int64_t exp_left = 0, exp_right = 0;
  run_pair([&] { left_half(x, sketch.right, l, mu, t, ML, exp_left, intr); },
           [&] { right_half(x, sketch.left, l, mu, t, MR, exp_right, intr); });
  check_interrupt(intr);
  // Core mu = ML core_mu MR.
  const int64_t tl = static_cast<int64_t>(ML.size()) / x.ranks[mu], tr = static_cast<int64_t>(MR.size()) / x.ranks[mu + 1];
  t.cores[mu] = x.cores[mu];
  t.ranks[mu] = x.ranks[mu];
  t.ranks[mu + 1] = x.ranks[mu + 1];
  apply_to_core_ranks(t, mu, ML.data(), false, tl, MR.data(), false, tr);
  st.exp2 = exp_left + exp_right;
  truncate_around(st, mu, eps, max_rank, intr);
  distribute_pow2(t, st.exp2);
  return std::move(t);
}

}  // namespace ttsolve::tt
