// The Bernoulli RBM with its hidden units summed out, f(v) = b . v + sum_h softplus(c + W v)_h,
// and the exact single-flip differences every single-site RBM kernel uses.
//
// With pre-activations A = c + W v kept per chain, flipping site i (s = +1 for 0 -> 1, -1 for
// 1 -> 0) changes f by
//   delta_i = s b_i + sum_h log(sigmoid(-A_h) + sigmoid(A_h) e^{s W_hi})
//           = s b_i + sum_h log(sbar_h + sig_h e^{W_hi})                  (v_i = 0)
//           = s b_i - sum_h W_hi + sum_h log(sig_h + sbar_h e^{W_hi})     (v_i = 1),
// i.e. a product over h of terms of one table e^W (no cancellation: every term is a positive
// sum), with one log per `chunk` factors. A flip moves A by s W[:, i] (O(H)).
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::mcmc {

struct RbmModel {
  int64_t n_hidden = 0, dim = 0;
  std::vector<double> W, WT, b, c;  // W (H x D), WT (D x H) row-major
  std::vector<float> WT32;           // WT in float32 for the gradient products
  void validate() const;
  /// Fills WT and WT32 from W (after W is set and validated).
  void prepare();
  double log_prob(const uint8_t* x) const;
  /// A = c + W x (H values), from scratch.
  void preactivations(const uint8_t* x, double* A) const;
};


/// The gradients without b of `rows` states from their sigmoid(A) rows S (rows x H, float32):
/// G = (S W)^T, site-major (D x rows: state r's gradient at G[r], stride rows), one float32
/// GEMM (la::gemm) on a chain block at once. This orientation (BLAS sees S as its first operand,
/// WT32 as the second) packs faster than the chain-major S W: 7.5 against 9.3 us per chain for
/// 50 x 500 x 784 (OpenBLAS Haswell kernels, one thread, bench/README.md "RBM, session 11").
void rbm_gradient_product(const RbmModel& m, int64_t rows, const float* S, float* G);

/// Tables for the exact flip differences: e^W by hidden row (H x D, for all sites at once)
/// and by site (D x H, for one site), column sums of W, and the product length between logs.
struct RbmFlipTables {
  std::vector<double> EW, EWT, colsum;
  int64_t chunk = 32;
  void prepare(const RbmModel& m, bool by_hidden, bool by_site);
};

/// sig_h = sigmoid(A_h), sbar_h = sigmoid(-A_h) = 1 - sig_h (both accurate), and returns
/// sum_h softplus(A_h).
double hidden_terms(const double* A, int64_t H, double* sig, double* sbar);

/// sum_h softplus(A_h) with sigmoid(A_h) written to s in float32 (the gradient engines' GEMM
/// input): e = exp(-|a|) shared by both (vectorised, mcmc/rbm_kernels.hpp exp_nonpositive),
/// four lanes (AVX2 by run-time dispatch, bitwise equal to the portable build), two logs per
/// 1024 units (lane products of up to 256 factors 1 + e in [1, 2]) instead of one log1p per
/// unit. Defined in mcmc/rbm_kernels.cpp.
double softplus_sum_and_sigmoid(const double* A, int64_t H, float* s);

/// sig / sbar only (no softplus sum): for a flip whose change of f is already known.
void hidden_probs(const double* A, int64_t H, double* sig, double* sbar);

/// sig / sbar after flipping a site whose column of e^W is ew (H values), from those before:
/// with t_h = sbar_h + sig_h e^{W_hi} (up, 0 -> 1) or sig_h + sbar_h e^{W_hi} (down), the
/// flip_delta factors, sig' = sig e^W / t, sbar' = sbar / t (up) and sig' = sig / t, sbar' =
/// sbar e^W / t (down): one division per unit instead of an exp. Exact up to rounding, which
/// the periodic recomputation from A resets (as it resets A's own drift).
void flip_hidden_probs(const double* ew, bool up, int64_t H, double* sig, double* sbar);

/// delta_i at the state x whose hidden terms are sig / sbar (O(H)); needs tables by_site.
double flip_delta(const RbmModel& m, const RbmFlipTables& t, const uint8_t* x, const double* sig,
                  const double* sbar, int64_t i);

/// delta_i for every site i of R states at once (O(R D H)): x (R x D), sig / sbar (R x H),
/// out (R x D); work holds 3 R D doubles. Needs tables by_hidden. The e^W rows are read once
/// per hidden unit for all R states.
void flip_deltas(const RbmModel& m, const RbmFlipTables& t, int64_t R, const uint8_t* x, const double* sig,
                 const double* sbar, double* out, double* work);

}  // namespace ttsolve::mcmc
