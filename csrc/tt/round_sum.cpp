// Rounding of a linear combination c_1 x^1 + ... + c_m x^m of trains without forming the
// block-diagonal sum cores (the coefficients enter at one end of each half sweep).
//
// 1. Right Gram sweep: the Gram matrix of the sum's right part at bond k is the block
//    matrix G_k[a, b] = sum_i X^a_k[:, i, :] G_{k+1}[a, b] X^b_k[:, i, :]^T (two GEMMs of
//    summand size per pair a <= b, instead of one contraction of the full sum rank).
// 2. Left-to-right truncation: P_{k-1} (r_new x R_k) holds the kept left basis applied to
//    the sum; A_k = [P^a X^a_k]_a (r_new n x R_{k+1}). With G_{k+1} = L L^T, the bond's
//    singular values are the square roots of the eigenvalues of L^T (A^T A) L, the new core
//    is U = orth(A L V_r) (QR) and P_k = U^T A. Each bond discards at most eps ||s|| / sqrt(d-1).
// 3. Two-sided (as round.cpp): bonds 1..d/2 as in 2., bonds d/2+1..d-1 by the same sweep on
//    the mirrored trains (read in place through SumView, not copied), on two threads; the
//    middle core joins both kept bases.
//
// Gram matrices square the condition number: the computed eigenvalues at a bond carry an
// absolute noise of about u ||A||_F^2 (sum_a ||G_{k+1}[a, a]||_*^(1/2))^2. The fast path is
// taken only where that noise (with generous constants, growing with d), summed over the
// bonds together with what ranks capped at the noise floor discard, is negligible next to
// eps^2 ||s||^2 or to what is discarded; otherwise nullopt is returned and the caller rounds
// the formed sum exactly (round.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "common/lapack.hpp"
#include "tt/ops.hpp"
#include "tt/run_pair.hpp"

namespace ttsolve::tt {

namespace {

constexpr double kUnitRoundoff = std::numeric_limits<double>::epsilon() / 2;
constexpr double kBackwardErrorFactor = 4.0;
// Noise summed over all bonds (a pessimistic Frobenius/trace estimate) at most 1% of the
// eps budget, or at most 1e-6 of everything discarded when max_rank binds (so the error is
// within a factor 1 + 1e-6 of that of the same truncations in exact arithmetic).
constexpr double kNoiseRatioEps = 1e-2;
constexpr double kNoiseRatioMaxRank = 1e-6;

/// The acceptance test of the fast path, for noise and discarded mass relative to ||s||^2.
bool noise_negligible(double noise, double discarded, double eps) {
  return noise <= kNoiseRatioEps * eps * eps || noise <= kNoiseRatioMaxRank * discarded;
}

/// ||v||^2 with eight partial sums (a single running sum is one long chain of dependent adds).
double sum_of_squares(const std::vector<double>& v) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const size_t n = v.size(), blocks = n / 8 * 8;
  for (size_t i = 0; i < blocks; i += 8)
    for (int j = 0; j < 8; ++j) part[j] += v[i + j] * v[i + j];
  for (size_t i = blocks; i < n; ++i) part[0] += v[i] * v[i];
  double s = 0.0;
  for (double p : part) s += p;
  return s;
}

/// The summands read left to right, or mirrored (core k of the mirror is core d-1-k with its
/// rank indices swapped) without copying them: the right-hand half sweep runs on the mirror.
struct SumView {
  const Terms& terms;
  bool mirrored;
  int64_t m() const { return static_cast<int64_t>(terms.size()); }
  int64_t ndim() const { return terms[0]->ndim(); }
  int64_t dim(int64_t k) const { return terms[0]->dims[stored(k)]; }
  int64_t rank(int64_t a, int64_t k) const { return terms[a]->ranks[mirrored ? ndim() - k : k]; }
  /// The stored core behind core k of the view: (rank(k+1), n, rank(k)) if mirrored.
  const double* core(int64_t a, int64_t k) const { return terms[a]->cores[stored(k)].data(); }
  int64_t stored(int64_t k) const { return mirrored ? ndim() - 1 - k : k; }
};

/// Block offsets of the summands' ranks at bond k (m + 1 entries, last = total rank).
std::vector<int64_t> offsets(const SumView& s, int64_t k) {
  std::vector<int64_t> off(s.m() + 1, 0);
  for (int64_t a = 0; a < s.m(); ++a) off[a + 1] = off[a] + s.rank(a, k);
  return off;
}

/// G_k from G_{k+1} (both block matrices, row-major, power-of-two normalised):
/// G_k[a, b] = sum_i X^a_i G_{k+1}[a, b] X^b_i^T over the slices X_i of core k of the view.
/// T and Lc are scratch.
void gram_step(const SumView& s, int64_t k, const std::vector<double>& Gnext, std::vector<double>& G,
               std::vector<double>& T, std::vector<double>& Lc) {
  const auto off = offsets(s, k), offn = offsets(s, k + 1);
  const int64_t m = s.m(), R = off[m], Rn = offn[m], n = s.dim(k);
  G.resize(R * R);
  for (int64_t a = 0; a < m; ++a) {
    const double* xa = s.core(a, k);
    const int64_t ra = s.rank(a, k), rpa = s.rank(a, k + 1);
    // Diagonal block: with G_{k+1}[a, a] = L L^T, G_k[a, a] = (X^a L)(X^a L)^T by a TRMM and a
    // SYRK (each half the flops of a GEMM); semi-definite blocks take the general path.
    Lc.resize(rpa * rpa);
    for (int64_t i = 0; i < rpa; ++i)
      std::copy(&Gnext[(offn[a] + i) * Rn + offn[a]], &Gnext[(offn[a] + i) * Rn + offn[a]] + rpa, &Lc[i * rpa]);
    const bool chol = la::cholesky(rpa, Lc.data());
    for (int64_t b = chol ? a + 1 : a; b < m; ++b) {
      const double* xb = s.core(b, k);
      const int64_t rb = s.rank(b, k), rpb = s.rank(b, k + 1);
      double* Gab = &G[off[a] * R + off[b]];
      if (!s.mirrored) {
        T.resize(ra * n * rpb);  // X^a (ra n x rpa) G_{k+1}[a, b] (rpa x rpb)
        la::gemm(false, false, ra * n, rpb, rpa, 1.0, xa, rpa, &Gnext[offn[a] * Rn + offn[b]], Rn, 0.0, T.data(), rpb);
        // G_k[a, b] (ra x rb) = T (ra x n rpb) X^b (rb x n rpb)^T
        la::gemm(false, true, ra, rb, n * rpb, 1.0, T.data(), n * rpb, xb, n * rpb, 0.0, Gab, R);
      } else {  // stored cores (rpa x n x ra): X^a_i is the transposed slice
        T.resize(rpa * n * rb);  // G_{k+1}[a, b] (rpa x rpb) stored X^b (rpb x n rb)
        la::gemm(false, false, rpa, n * rb, rpb, 1.0, &Gnext[offn[a] * Rn + offn[b]], Rn, xb, n * rb, 0.0, T.data(),
                 n * rb);
        // G_k[a, b] (ra x rb) = (stored X^a as (rpa n x ra))^T T (rpa n x rb)
        la::gemm(true, false, ra, rb, rpa * n, 1.0, xa, ra, T.data(), rb, 0.0, Gab, R);
      }
      if (b != a)
        for (int64_t i = 0; i < ra; ++i)
          for (int64_t j = 0; j < rb; ++j) G[(off[b] + j) * R + off[a] + i] = Gab[i * R + j];
    }
    if (chol) {
      T.resize(ra * n * rpa);
      double* Gaa = &G[off[a] * R + off[a]];
      // X^a L on a copy of X^a.
      std::copy(xa, xa + ra * n * rpa, T.data());
      if (!s.mirrored) {  // X^a L, then G_k[a, a] = T T^T over (ra x n rpa)
        la::trmm_lower(false, false, ra * n, rpa, T.data(), Lc.data());
        la::syrk_aat(ra, n * rpa, 1.0, T.data(), n * rpa, 0.0, Gaa, R);
      } else {  // L^T (stored X^a), then G_k[a, a] = T^T T over (rpa n x ra)
        la::trmm_lower(true, true, rpa, n * ra, T.data(), Lc.data());
        la::syrk_ata(rpa * n, ra, 1.0, T.data(), ra, 0.0, Gaa, R);
      }
    }
  }
  normalize_pow2(G);
}

/// A_k = [P^a X^a_k]_a laid out as (r_new n x R_{k+1}), X^a_k core k of the view; tmp is
/// scratch (buffers are reused across bonds: fresh allocations cost page faults).
void apply_left(const SumView& s, int64_t k, const std::vector<double>& P, int64_t rnew, std::vector<double>& A,
                std::vector<double>& tmp) {
  const auto off = offsets(s, k), offn = offsets(s, k + 1);
  const int64_t m = s.m(), R = off[m], Rn = offn[m], n = s.dim(k);
  A.resize(rnew * n * Rn);
  for (int64_t b = 0; b < m; ++b) {
    const int64_t rb = s.rank(b, k), rpb = s.rank(b, k + 1);
    tmp.resize(rnew * n * rpb);
    if (!s.mirrored) {  // P^b (rnew x rb) X^b (rb x n rpb): rows (c, i) of A directly
      la::gemm(false, false, rnew, n * rpb, rb, 1.0, &P[off[b]], R, s.core(b, k), n * rpb, 0.0, tmp.data(), n * rpb);
      for (int64_t row = 0; row < rnew * n; ++row)
        std::copy(&tmp[row * rpb], &tmp[row * rpb] + rpb, &A[row * Rn + offn[b]]);
    } else {  // stored X^b (rpb n x rb) (P^b)^T: Z[(q, i), c], scattered to A[(c, i), q]
      la::gemm(false, true, rpb * n, rnew, rb, 1.0, s.core(b, k), rb, &P[off[b]], R, 0.0, tmp.data(), rnew);
      for (int64_t q = 0; q < rpb; ++q)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t c = 0; c < rnew; ++c) A[(c * n + i) * Rn + offn[b] + q] = tmp[(q * n + i) * rnew + c];
    }
  }
}

/// The Gram sweep's matrices, in per-thread storage that the next call on the same thread
/// reuses (fresh pages cost page faults on every call); released after a large call.
/// round_sum runs its two half sweeps on two threads, or one after the other on one.
class GramBuffers {
 public:
  explicit GramBuffers(int64_t count) : buffers_(storage()) { buffers_.resize(count); }
  ~GramBuffers() {
    constexpr size_t kKeepBytes = size_t(8) << 20;
    size_t held = 0;
    for (const auto& b : buffers_) held += b.capacity() * sizeof(double);
    if (held > kKeepBytes) std::vector<std::vector<double>>().swap(buffers_);
  }
  GramBuffers(const GramBuffers&) = delete;
  GramBuffers& operator=(const GramBuffers&) = delete;
  std::vector<double>& operator[](int64_t k) { return buffers_[k]; }

 private:
  static std::vector<std::vector<double>>& storage() {
    thread_local std::vector<std::vector<double>> buffers;
    return buffers;
  }
  std::vector<std::vector<double>>& buffers_;
};

/// Truncates bonds 1..bonds of the sum from the left (cores 0..bonds-1 of the result);
/// P (rnew x R_bonds) is then the kept basis applied to the sum at bond `bonds`.
struct HalfSweep {
  bool ok = false;
  std::vector<std::vector<double>> cores;
  std::vector<int64_t> ranks;  // ranks[k] of core k's right bond
  std::vector<double> P;
  int64_t rnew = 1, exp2 = 0;
  double noise = 0.0, discarded = 0.0;  // relative to ||s||^2
};

/// The coefficients of the linear combination enter at one end of the view: left_w as the
/// initial kept basis P, right_w through G_d = right_w right_w^T (one of the two is all ones).
HalfSweep truncate_from_left(const SumView& sum, int64_t bonds, double eps, int64_t max_rank,
                             const std::vector<double>& left_w, const std::vector<double>& right_w,
                             Interrupt* intr) {
  const int64_t d = sum.ndim(), m = sum.m();
  HalfSweep res;

  // Right Gram sweep: Gs[k] = G_k for k = 0..d (the summands' last ranks are 1). The
  // buffers are kept per thread between calls: fresh pages cost page faults every call.
  GramBuffers Gs(d + 1);
  Gs[d].resize(m * m);
  for (int64_t a = 0; a < m; ++a)
    for (int64_t b = 0; b < m; ++b) Gs[d][a * m + b] = right_w[a] * right_w[b];
  std::vector<double> T, Lc;
  for (int64_t k = d - 1; k >= 0; --k) {
    gram_step(sum, k, Gs[k + 1], Gs[k], T, Lc);
    // round_sum checked only the shapes: each half sweep checks the cores it reads first
    // (between them all cores), while they are in cache. The scan is memory-bound otherwise.
    if (k >= d / 2)
      for (const TensorTrain* t : sum.terms) t->validate_finite(sum.stored(k));
    check_interrupt(intr);
  }
  // ||s||^2 = sum of G_0; the noise scales with (sum_a ||x^a||)^2 (cancellation in the sum).
  double s2 = 0.0, sum_norms = 0.0;
  for (int64_t a = 0; a < m; ++a) {
    sum_norms += std::abs(left_w[a]) * std::sqrt(std::max(Gs[0][a * m + a], 0.0));
    for (int64_t b = 0; b < m; ++b) s2 += left_w[a] * left_w[b] * Gs[0][a * m + b];
  }
  // Strong cancellation (||s|| far below the summands' norms): leave it to the exact path.
  if (!(s2 > 0.0) || !std::isfinite(s2) || sum_norms * sum_norms * std::sqrt(kUnitRoundoff) > s2) return res;
  std::vector<double> P(left_w), g, W, lam, Z, L, AL, C, A, tmp, Y, ALY;
  int64_t rnew = 1, exp2 = 0;
  double kept_rel = 1.0;  // ||current partially truncated tensor||^2 / ||s||^2
  double noise_total = 0.0, discarded_total = 0.0;  // relative to ||s||^2
  for (int64_t k = 0; k < bonds; ++k) {
    const int64_t n = sum.dim(k);
    apply_left(sum, k, P, rnew, A, tmp);
    const int64_t Rn = static_cast<int64_t>(A.size()) / (rnew * n);
    // G_{k+1} = L L^T: Cholesky, or W diag(sqrt(g)) over the positive eigenvalues if only
    // semi-definite (e.g. linearly dependent summands).
    int64_t q = Rn;
    L = Gs[k + 1];
    const bool triangular = la::cholesky(Rn, L.data());
    if (!triangular) {
      la::symmetric_eig(Rn, Gs[k + 1].data(), g, W);
      std::vector<int64_t> keep;
      for (int64_t j = 0; j < Rn; ++j)
        if (g[j] > 0.0) keep.push_back(j);
      q = static_cast<int64_t>(keep.size());
      if (q == 0) return res;
      L.assign(Rn * q, 0.0);
      for (int64_t c = 0; c < q; ++c) {
        const double sg = std::sqrt(g[keep[c]]);
        for (int64_t i = 0; i < Rn; ++i) L[i * q + c] = W[keep[c] * Rn + i] * sg;
      }
    }
    // AL = A L (TRMM for the Cholesky factor), then C = (AL)^T (AL) = L^T A^T A L.
    if (triangular) {
      AL = A;
      la::trmm_lower(false, false, rnew * n, Rn, AL.data(), L.data());
    } else {
      AL.resize(rnew * n * q);
      la::gemm(false, false, rnew * n, q, Rn, 1.0, A.data(), Rn, L.data(), q, 0.0, AL.data(), q);
    }
    C.resize(q * q);
    la::syrk_ata(rnew * n, q, 1.0, AL.data(), q, 0.0, C.data());
    const la::SymmetricEig eig(q, C.data());  // eigenvectors only for the kept rank, below
    lam.assign(eig.values().rbegin(), eig.values().rend());
    double total = 0.0;
    for (double& l : lam) total += (l = std::max(l, 0.0));
    if (!(total > 0.0) || !(kept_rel > 0.0)) return res;
    const double scale = total / kept_rel;  // ||s||^2 in the units of lam
    const double delta2 = eps * eps / double(d - 1) * scale;
    // Noise of L^T A^T A L: u ||A||_F^2 times the noise scale of G_{k+1}, (sum_a ||G[a, a]||^(1/2))^2
    // (the summands' own right norms, so cancellation between them counts).
    const double a2 = sum_of_squares(A);
    double gsum = 0.0;
    {
      const auto offn = offsets(sum, k + 1);
      for (int64_t a = 0; a < m; ++a) {
        double tr = 0.0;
        for (int64_t i = offn[a]; i < offn[a + 1]; ++i) tr += Gs[k + 1][i * Rn + i];
        gsum += std::sqrt(std::max(tr, 0.0));
      }
    }
    // Relative rounding error of the bond's products (inner dimensions q and r n, chain length d).
    const double gamma = kBackwardErrorFactor * double(q + rnew * n + d) * kUnitRoundoff;
    const double err = gamma * a2 * gsum * gsum;
    // Eigenvalues at or below the noise level carry no information (e.g. exact zeros at a
    // bond whose true rank is below max_rank): the rank is capped there. What the cap
    // discards beyond the eps budget or max_rank (at most those eigenvalues plus err each)
    // counts as noise, so the acceptance test in round_sum decides whether it is negligible.
    const double noise = double(q) * err;
    int64_t r_num = 0;
    while (r_num < std::min(q, rnew * n) && lam[r_num] > noise) ++r_num;
    int64_t r = gram_rank(lam, err, std::sqrt(delta2 * (1.0 - 2.0 * kNoiseRatioEps)));
    if (max_rank > 0) r = std::min(r, max_rank);
    double capped = 0.0;
    if (r > r_num) {
      for (int64_t j = r_num; j < r; ++j) capped += lam[j] + err;
      r = std::max<int64_t>(r_num, 1);
    }
    if (!(lam[r - 1] > 0.0)) return res;
    noise_total += (noise + capped) / scale;
    // Everything discarded is at most ||s||^2: if even that cannot make the noise negligible,
    // round_sum will not accept, so stop now (saves the sweep).
    if (!noise_negligible(noise_total, 1.0, eps)) return res;
    // Kept span: A L Z_r S^{-1}, as Y = Z_r S^{-1} (q x r) and ALY = (A L) Y.
    eig.top_vectors(r, Z);
    Y.resize(q * r);
    for (int64_t c = 0; c < r; ++c) {
      const double* z = &Z[c * q];  // eigenvector of the c-th largest eigenvalue
      const double inv_s = 1.0 / std::sqrt(lam[c]);
      for (int64_t j = 0; j < q; ++j) Y[j * r + c] = z[j] * inv_s;
    }
    ALY.resize(rnew * n * r);
    la::gemm(false, false, rnew * n, r, q, 1.0, AL.data(), q, Y.data(), r, 0.0, ALY.data(), r);
    // Directions of small kept eigenvalues come out less accurately, but only the span of
    // U matters: U is re-orthonormalised (QR). The projection on span(A L Z_r), Z_r exact
    // eigenvectors of a matrix within err of L^T A^T A L, discards at most
    // D = sum_{j >= r} lam_j + (q - r) err (see bond_truncation.cpp); rounding while forming
    // U moves its span by b (in the units of A L), which can add 2 sqrt(D) b + b^2.
    // ALY is orthonormal up to about err / lam_r: usually one Cholesky-QR pass suffices.
    std::vector<double> U, Rfac;
    if (la::cholesky_qr_nearly_orthonormal(rnew * n, r, ALY.data(), 0.5))
      U.swap(ALY);  // ALY is resized before its next use
    else
      la::qr(rnew * n, r, ALY.data(), U, Rfac);
    double discarded = 0.0;
    for (int64_t j = r; j < q; ++j) discarded += lam[j];
    {
      const double D = std::max(discarded + double(q - r) * err, 0.0);
      const double b = gamma * (std::sqrt(a2) * gsum * std::sqrt(double(r)) + std::sqrt(total));
      noise_total += (2.0 * std::sqrt(D) * b + b * b) / scale;
    }
    P.resize(r * Rn);
    la::gemm(true, false, r, Rn, rnew * n, 1.0, U.data(), r, A.data(), Rn, 0.0, P.data(), Rn);
    exp2 += normalize_pow2(P);
    kept_rel -= discarded / scale;
    discarded_total += discarded / scale;
    res.cores.push_back(std::move(U));
    res.ranks.push_back(r);
    rnew = r;
    check_interrupt(intr);
  }
  res.ok = true;
  res.P = std::move(P);
  res.rnew = rnew;
  res.exp2 = exp2;
  res.noise = noise_total;
  res.discarded = discarded_total;
  return res;
}

}  // namespace

std::optional<TensorTrain> round_sum_fast(const Terms& terms, const std::vector<double>& coefficients, double eps,
                                          int64_t max_rank, Interrupt* intr) {
  if (terms.empty()) throw std::invalid_argument("trains must hold at least one TensorTrain");
  const std::vector<double> ones(terms.size(), 1.0);
  const std::vector<double>& coefs = coefficients.empty() ? ones : coefficients;
  if (coefs.size() != terms.size())
    throw std::invalid_argument("coefficients must have one entry per train");
  for (double c : coefs)
    if (!std::isfinite(c)) throw std::invalid_argument("coefficients must be finite");
  if (!(eps >= 0.0) || !std::isfinite(eps)) throw std::invalid_argument("eps must be finite and >= 0");
  for (const TensorTrain* t : terms) {
    if (!t) throw std::invalid_argument("trains must not hold None");
    t->validate_shape();  // the cores' entries are checked by the Gram sweeps
    if (t->dims != terms[0]->dims) throw std::invalid_argument("trains must all have the same dims");
  }
  const int64_t d = terms[0]->ndim();
  if (d < 2) {  // nothing to truncate
    for (const TensorTrain* t : terms) t->validate();
    return std::nullopt;
  }
  // Two-sided, as round.cpp: bonds 1..mu from the left, mu+1..d-1 from the right (the left
  // sweep of the mirrored train), on two threads. Both sides project the untruncated sum
  // orthogonally on disjoint index groups, so their errors add in squares.
  const int64_t mu = d / 2;
  HalfSweep left, right;
  run_pair([&] { left = truncate_from_left(SumView{terms, false}, mu, eps, max_rank, coefs, ones, intr); },
           [&] { right = truncate_from_left(SumView{terms, true}, d - 1 - mu, eps, max_rank, ones, coefs, intr); });
  check_interrupt(intr);
  if (!left.ok || !right.ok) return std::nullopt;
  // Accept if the summed noise is at most 1% of the eps budget (the budget was reduced by 2%
  // above, so the eps guarantee holds) or at most 1e-6 of what was discarded in total.
  const double noise = left.noise + right.noise, discarded = left.discarded + right.discarded;
  if (!noise_negligible(noise, discarded, eps)) return std::nullopt;

  TensorTrain out;
  out.dims = terms[0]->dims;
  out.ranks.assign(d + 1, 1);
  out.cores.resize(d);
  for (int64_t k = 0; k < mu; ++k) {
    out.cores[k] = std::move(left.cores[k]);
    out.ranks[k + 1] = left.ranks[k];
  }
  for (int64_t k = 0; k < d - 1 - mu; ++k) {  // mirrored core k -> core d-1-k, transposed back
    const int64_t dst = d - 1 - k, r0 = right.ranks[k], n = out.dims[dst];
    const int64_t r1 = k == 0 ? 1 : right.ranks[k - 1];
    const std::vector<double>& c = right.cores[k];  // (r1, n, r0) in mirrored order
    std::vector<double> core(r0 * n * r1);
    for (int64_t a = 0; a < r1; ++a)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t b = 0; b < r0; ++b) core[(b * n + i) * r1 + a] = c[(a * n + i) * r0 + b];
    out.cores[dst].swap(core);
    out.ranks[dst] = r0;
  }
  // Middle core mu = [P_L^a X^a_mu]_a P_R^T, P_R (rr x R_{mu+1}) from the mirrored sweep.
  const int64_t n = out.dims[mu];
  std::vector<double> A, tmp;
  apply_left(SumView{terms, false}, mu, left.P, left.rnew, A, tmp);
  const int64_t Rn = static_cast<int64_t>(A.size()) / (left.rnew * n), rr = right.rnew;
  std::vector<double> core(left.rnew * n * rr);
  la::gemm(false, true, left.rnew * n, rr, Rn, 1.0, A.data(), Rn, right.P.data(), Rn, 0.0, core.data(), rr);
  out.cores[mu].swap(core);
  distribute_pow2(out, left.exp2 + right.exp2);
  return out;
}

TensorTrain round_sum(const Terms& terms, const std::vector<double>& coefficients, double eps, int64_t max_rank,
                      Interrupt* intr) {
  std::optional<TensorTrain> fast = round_sum_fast(terms, coefficients, eps, max_rank, intr);  // validates
  if (fast) return std::move(*fast);
  const std::vector<double> ones(terms.size(), 1.0);
  const TensorTrain sum = linear_combination(terms, coefficients.empty() ? ones : coefficients);
  check_interrupt(intr);
  return round(sum, eps, max_rank, intr);
}

}  // namespace ttsolve::tt
