// Randomised TT rounding ("randomize-then-orthogonalize", Al Daas, Ballard, Cazeaux,
// Hallman, Miedlar, Pasha, Reid, Saibaba, SISC 2023, Alg. 3.2).
//
// With a random train Omega of ranks l = max_rank + oversample, W_k = <right part of x,
// right part of Omega> (R_k x l) sketches the range of every right unfolding. A left-to-
// right sweep then projects each core on the range of (core W_{k+1}), which costs GEMMs
// and a thin QR of width l instead of QRs and SVDs of width R = rank(x). A final
// deterministic sweep (as in round()) brings the ranks to (eps, max_rank).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "common/rng.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {
namespace {

/// Random-sign sketch cores (Rademacher entries): as good as Gaussian ones for range
/// finding and ~20x cheaper to draw. Core k uses Philox stream k; core 0 is never used.
std::vector<std::vector<double>> sign_sketch(const std::vector<int64_t>& dims, const std::vector<int64_t>& l,
                                             uint64_t seed) {
  std::vector<std::vector<double>> cores(dims.size());
  for (size_t k = 1; k < dims.size(); ++k) {
    cores[k].resize(l[k] * dims[k] * l[k + 1]);
    Philox rng(seed, k);
    uint32_t bits = 0;
    for (size_t i = 0; i < cores[k].size(); ++i) {
      if (i % 32 == 0) bits = rng.next_u32();
      cores[k][i] = (bits >> (i % 32)) & 1u ? 1.0 : -1.0;
    }
  }
  return cores;
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
  const std::vector<std::vector<double>> omega = sign_sketch(x.dims, l, seed);

  // W[k] (R_k x l_k): contraction of cores k.. of x with cores k.. of omega.
  std::vector<std::vector<double>> W(d + 1);
  W[d].assign(1, 1.0);
  std::vector<double> T;
  for (int64_t k = d - 1; k >= 1; --k) {
    const int64_t R0 = x.ranks[k], n = x.dims[k], R1 = x.ranks[k + 1], l0 = l[k], l1 = l[k + 1];
    T.resize(R0 * n * l1);
    la::gemm(false, false, R0 * n, l1, R1, 1.0, x.cores[k].data(), R1, W[k + 1].data(), l1, 0.0, T.data(), l1);
    W[k].resize(R0 * l0);
    la::gemm(false, true, R0, l0, n * l1, 1.0, T.data(), n * l1, omega[k].data(), n * l1, 0.0,
             W[k].data(), l0);
    int64_t unused = 0;  // the sketch only matters up to scale
    rescale_pow2(W[k], unused);
    check_interrupt(intr);
  }

  // Sweep: Z (r_k n_k x R_{k+1}) is core k of x with the previous projections applied.
  ScaledTrain st;
  TensorTrain& t = st.tt;
  t.dims = x.dims;
  t.ranks.assign(d + 1, 1);
  t.cores.resize(d);
  std::vector<double> Z = x.cores[0], Y, Q, Rf, M;
  for (int64_t k = 0; k + 1 < d; ++k) {
    const int64_t rows = t.ranks[k] * x.dims[k], R1 = x.ranks[k + 1], l1 = l[k + 1];
    Y.resize(rows * l1);
    la::gemm(false, false, rows, l1, R1, 1.0, Z.data(), R1, W[k + 1].data(), l1, 0.0, Y.data(), l1);
    la::qr(rows, l1, Y.data(), Q, Rf);
    const int64_t kk = std::min(rows, l1);
    M.resize(kk * R1);  // M = Q^T Z
    la::gemm(true, false, kk, R1, rows, 1.0, Q.data(), kk, Z.data(), R1, 0.0, M.data(), R1);
    rescale_pow2(M, st.exp2);
    const int64_t n2r2 = x.dims[k + 1] * x.ranks[k + 2];
    Z.resize(kk * n2r2);
    la::gemm(false, false, kk, n2r2, R1, 1.0, M.data(), R1, x.cores[k + 1].data(), n2r2, 0.0, Z.data(), n2r2);
    t.cores[k].swap(Q);
    t.ranks[k + 1] = kk;
    check_interrupt(intr);
  }
  t.cores[d - 1] = Z;
  // Cores 0..d-2 are left-orthogonal: finish with the deterministic truncation sweep.
  truncate_right_to_left(st, eps, max_rank, intr);
  distribute_pow2(t, st.exp2);
  return std::move(t);
}

}  // namespace ttsolve::tt
