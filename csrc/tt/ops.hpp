// Tensor-train operations (kernels only; no Python). Every function takes and returns
// row-major cores as described in tensor_train.hpp and leaves its inputs untouched.
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include "common/interrupt.hpp"
#include "tt/tensor_train.hpp"

namespace ttsolve::tt {

/// A real number stored as sign * 2^exp2 * mantissa, so that products over a thousand
/// cores neither overflow nor underflow. sign is -1, 0 or +1 (0 means exactly zero).
struct ScaledValue {
  double sign = 0.0;
  double log_abs = 0.0;  // natural log of |value| (-inf when zero)
};

/// A train together with a power-of-two factor: the tensor is 2^exp2 * tt.
struct ScaledTrain {
  TensorTrain tt;
  int64_t exp2 = 0;
  /// Rounding-noise level of the centre core of an orthogonalised train, in the stored
  /// scale: 8 sqrt(d) u ||R|| ||G_mu|| ||L|| (measured noise of x - x: below 6 u ||R|| ||G|| ||L||
  /// for d <= 50, ranks <= 10; genuine trains sit near 1/sqrt(rank), ~1e15 times higher). 0 = unknown.
  double center_noise = 0.0;
};

// pow2_scaling.cpp
/// Divides v exactly by a power of two 2^e so that max|v| lies in [0.5, 1); returns e.
/// v is left as it is (and 0 returned) if it is all zeros or holds NaN or inf.
int64_t normalize_pow2(std::vector<double>& v);
/// normalize_pow2, adding the exponent to exp2; false if v is all zeros.
bool rescale_pow2(std::vector<double>& v, int64_t& exp2);
/// Multiplies core k by 2^e (exact unless it under/overflows; std::overflow_error if the
/// core overflows or a nonzero core underflows to zero).
void scale_core_pow2(TensorTrain& t, int64_t k, int64_t e);
/// Spreads the factor 2^exp2 over all cores as small exact powers of two.
void distribute_pow2(TensorTrain& t, int64_t exp2);

/// Throws std::invalid_argument naming the dims unless x and y have the same dims.
void check_same_dims(const TensorTrain& x, const TensorTrain& y, const char* op);

/// Borrowed summands (not copied: a d = 100 train of rank 30 is 7 MB).
using Terms = std::vector<const TensorTrain*>;

// arithmetic.cpp
TensorTrain linear_combination(double alpha, const TensorTrain& x, double beta, const TensorTrain& y);
/// sum_a coefficients[a] terms[a] with block cores (ranks add); the same values as repeated
/// two-term linear_combination (each coefficient scales its summand's first core).
TensorTrain linear_combination(const Terms& terms, const std::vector<double>& coefficients);
TensorTrain scale(const TensorTrain& x, double alpha);
TensorTrain hadamard(const TensorTrain& x, const TensorTrain& y);

// contraction.cpp
ScaledValue dot(const TensorTrain& x, const TensorTrain& y);
ScaledValue sum(const TensorTrain& x);
/// Dense tensor (row-major over dims); throws std::length_error beyond max_entries.
std::vector<double> full(const TensorTrain& x, int64_t max_entries);

// orthogonalize.cpp
/// Cores < mu left-orthogonal, cores > mu right-orthogonal; core mu carries the norm up
/// to the returned power of two. Ranks may shrink (QR of a rank-deficient unfolding).
ScaledTrain orthogonalize_scaled(const TensorTrain& x, int64_t mu, Interrupt* intr = nullptr);
/// As above with the power of two folded into core mu (std::overflow_error if it does not fit).
TensorTrain orthogonalize(const TensorTrain& x, int64_t mu, Interrupt* intr = nullptr);
/// log ||x||_F via left-orthogonalisation (accurate even when x is a small difference of
/// large trains, unlike sqrt(dot(x, x))); -inf for the zero tensor.
double log_norm(const TensorTrain& x, Interrupt* intr = nullptr);


// bond_truncation.cpp
/// How a bond is truncated: Auto = Gram + eig where provably safe (see bond_truncation.cpp),
/// else SVD; Svd = always SVD; Gram = always Gram (still within the error bound, but may
/// keep larger ranks than needed when eps is near sqrt(machine eps); for tests).
enum class BondPath { Auto, Svd, Gram };
/// How many bonds took each path (for tests and benchmarks).
struct RoundStats {
  int64_t gram_bonds = 0;
  int64_t svd_bonds = 0;
};
/// Kept singular basis of B (M x N, row-major) with discarded norm <= delta (unless max_rank
/// binds): left -> basis = U (M x r), else basis = V^T (r x N); s_kept = the r singular values.
/// Kept rank from descending eigenvalues lam: smallest r >= 1 with tail(r) + (p - r) err <= delta^2.
int64_t gram_rank(const std::vector<double>& lam, double err, double delta);

void truncate_bond(bool left, int64_t M, int64_t N, const double* B, double delta, int64_t max_rank,
                   BondPath path, std::vector<double>& basis, std::vector<double>& s_kept, RoundStats* stats);

// round.cpp
/// Rank of a truncated SVD: smallest r with sum_{j>=r} s_j^2 <= delta^2, 1 <= r <= max_rank.
int64_t truncation_rank(const std::vector<double>& s, double delta, int64_t max_rank);

/// Core mu becomes op(L) core_mu op(R): op(L) (tl x r_mu) acts on its left rank and op(R)
/// (r_{mu+1} x tr) on its right rank (op = transpose when trans_*); ranks updated.
void apply_to_core_ranks(TensorTrain& t, int64_t mu, const double* L, bool trans_l, int64_t tl, const double* R,
                         bool trans_r, int64_t tr);
/// Truncation of a train orthogonalised around core mu (in place), bonds left and right of
/// mu concurrently; same guarantee as round() relative to the norm of st.
void truncate_around(ScaledTrain& st, int64_t mu, double eps, int64_t max_rank, Interrupt* intr,
                     BondPath path = BondPath::Auto, RoundStats* stats = nullptr);
/// TT rounding: ||x - round(x)||_F <= eps ||x||_F unless max_rank binds (max_rank <= 0: none).
TensorTrain round(const TensorTrain& x, double eps, int64_t max_rank, Interrupt* intr = nullptr,
                  BondPath path = BondPath::Auto, RoundStats* stats = nullptr);

// round_sum.cpp
/// Rounding of sum_a coefficients[a] terms[a] (empty coefficients: all ones) without forming
/// the sum (block Gram sweeps). Returns nullopt when the Gram noise is not provably
/// negligible next to what is discarded (or d == 1).
std::optional<TensorTrain> round_sum_fast(const Terms& terms, const std::vector<double>& coefficients, double eps,
                                          int64_t max_rank, Interrupt* intr = nullptr);
/// round_sum_fast where it is accurate, else round() of the formed sum: always within the
/// guarantee of round().
TensorTrain round_sum(const Terms& terms, const std::vector<double>& coefficients, double eps, int64_t max_rank,
                      Interrupt* intr = nullptr);

// round_randomized.cpp
/// Randomised rounding (Al Daas et al. 2023, "randomize-then-orthogonalize"): project on the
/// range of x's unfoldings sketched by a random train (orthonormalised Gaussian cores) of ranks max_rank + oversample
/// (Philox streams of `seed`), then truncate deterministically with (eps, max_rank).
TensorTrain round_randomized(const TensorTrain& x, double eps, int64_t max_rank, int64_t oversample,
                             uint64_t seed, Interrupt* intr = nullptr);

// tt_svd.cpp
/// TT-SVD of a dense row-major tensor: same error guarantee as round().
TensorTrain tt_svd(const double* a, const std::vector<int64_t>& dims, double eps, int64_t max_rank,
                   Interrupt* intr = nullptr);

// evaluate.cpp
/// Entries at the K multi-indices idx (K x d row-major); parallel over blocks of indices.
std::vector<double> evaluate(const TensorTrain& x, const int64_t* idx, int64_t K, Interrupt* intr = nullptr);

// random.cpp
/// Cores with independent N(0, 1 / (n_k r_{k+1})) entries (so E||x||_F^2 = 1); core k
/// draws from Philox stream k of `seed`.
TensorTrain random(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks, uint64_t seed,
                   Interrupt* intr = nullptr);
/// Rank-1 train of the constant `value` (zeros / ones).
TensorTrain constant(const std::vector<int64_t>& dims, double value);

}  // namespace ttsolve::tt
