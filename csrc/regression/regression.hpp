// Kernels of the functional-TT regression: basis evaluation, functional-TT evaluation
// (values, gradients, Laplacians) and the ALS building blocks (stacks, local Gram).
//
// Conventions: X is (K, d) row-major; Phi is (K, d, p) row-major (basis functions of
// every coordinate of every sample); TT core k is (r_k, p, r_{k+1}) row-major.
#pragma once
#include <cstdint>
#include <vector>

#include "common/interrupt.hpp"

namespace ttsolve::regression {

/// Polynomial basis values (deriv = 0, 1, 2) of every coordinate: out (K, d, p).
/// Dimension j uses phi_i(x) = sum_m coef[j, i, m] t^m with t = (x - shift[j]) / scale[j].
void basis_evaluate(const double* X, int64_t K, int64_t d, const double* coef, const double* shift,
                    const double* scale, int64_t p, int deriv, double* out);

/// Orthonormal product-basis values for the compressed Gram: out (K, d, q) holds Q_0..Q_{q-1}
/// of t = (x - shift[j]) / scale[j] by their three-term recurrence; kind[j] = 0: Legendre
/// orthonormal for dt/2 on [-1, 1]; 1: probabilists' Hermite orthonormal for N(0, 1);
/// 2: powers t^m.
void product_basis_values(const double* X, int64_t K, int64_t d, const int64_t* kind, const double* shift,
                          const double* scale, int64_t q, double* out);

struct CoreList {
  std::vector<const double*> cores;  // d cores
  std::vector<int64_t> ranks;        // d + 1 ranks
  int64_t p = 0;                     // common mode size
};

/// f(x_i) = contraction of the cores with Phi[i] (out: K).
void functional_value(const CoreList& C, const double* Phi, int64_t K, double* out);
/// Gradient (K, d): d f / d x_j uses dPhi in slot j, Phi elsewhere (left/right stacks).
void functional_grad(const CoreList& C, const double* Phi, const double* dPhi, int64_t K, double* out);
/// Laplacian (K): sum_j of the contraction with ddPhi in slot j.
void functional_laplacian(const CoreList& C, const double* Phi, const double* ddPhi, int64_t K,
                          double* out);

/// Left stack step: Lout[i, b] = sum_{a,j} L[i,a] Phi[i,k,j] core[a,j,b]. L is (K, r), Lout (K, r2).
void stack_left(const double* L, const double* Phi, int64_t K, int64_t d, int64_t p, int64_t k,
                const double* core, int64_t r, int64_t r2, double* Lout);
/// Right stack step: Rout[i, a] = sum_{j,b} core[a,j,b] Phi[i,k,j] R[i,b]. R is (K, r2), Rout (K, r).
void stack_right(const double* R, const double* Phi, int64_t K, int64_t d, int64_t p, int64_t k,
                 const double* core, int64_t r, int64_t r2, double* Rout);

/// Normal equations of the local least-squares problem of core k: design row
/// a_i = [L[i] (x) Phi[i,k] (x) R[i], g_i (if g)] of length n = r p r2 (+1), weighted by w.
/// G (n x n) = sum_i w_i a_i a_i^T, rhs (n) = sum_i w_i y_i a_i. Deterministic for any
/// thread count (fixed chunking, chunk partials summed in order). Polls `intr` (may be null)
/// and throws Interrupted on Ctrl-C.
///
/// Compressed path (Psi != nullptr): the basis products of dimension k are linear
/// combinations of q product-basis functions, phi_j phi_j' = sum_m Ck[pair(j, j'), m] Psi[., k, m]
/// (Psi (K, d, q), Ck (p(p+1)/2, q), pairs j <= j' in row-major order), so the sample sums
/// run over q instead of p(p+1)/2 functions.
void local_normal_equations(const double* L, const double* Phi, const double* R, int64_t K, int64_t d,
                            int64_t p, int64_t k, int64_t r, int64_t r2, const double* g,
                            const double* w, const double* y, double* G, double* rhs,
                            const double* Psi = nullptr, int64_t q = 0, const double* Ck = nullptr,
                            Interrupt* intr = nullptr);

/// One local ALS step without returning the Gram: the normal equations of core k (as
/// local_normal_equations), plus `penalty` (nc x nc, nc = r p r2; may be null) on the core
/// block and diag(reg) (n entries), solved by spd_solve into x (n). Returns true if the
/// eigen-decomposition fallback was used; throws Interrupted on Ctrl-C.
bool local_solve(const double* L, const double* Phi, const double* R, int64_t K, int64_t d, int64_t p,
                 int64_t k, int64_t r, int64_t r2, const double* g, const double* w, const double* y,
                 const double* Psi, int64_t q, const double* Ck, const double* penalty, const double* reg,
                 double* x, Interrupt* intr = nullptr);

/// The fixed data of a fit for als_sweep. PhiT (d, K, p) and PsiT (d, K, q) hold every
/// coordinate's basis / product-basis values contiguously; PsiT and C (d, SP, q) may be null
/// (uncompressed Gram); g and w may be null.
struct SweepProblem {
  int64_t K = 0, d = 0, p = 0, q = 0, SP = 0;
  std::vector<int64_t> ranks;  // d + 1 TT ranks (fixed)
  const double* PhiT = nullptr;
  const double* PsiT = nullptr;
  const double* C = nullptr;
  const double* y = nullptr;
  const double* g = nullptr;
  const double* w = nullptr;
  double ridge = 0.0;            // added to the diagonal of every local problem's core block
};

/// One ALS sweep (d >= 2) in place: core 0 is the centre, cores 1.. right-orthogonal and
/// R[k] (K x ranks[k], k = 1..d-1) their right stacks on entry; the same holds on exit, with
/// fvals (K) the fitted training values. R[0] and R[d] are ignored. Returns the number of
/// eigen-decomposition fallback solves; throws Interrupted on Ctrl-C.
int als_sweep(const SweepProblem& P, std::vector<double*>& cores, std::vector<double*>& R, double* extra_coef,
              double* fvals, Interrupt* intr = nullptr);

/// Solve (G + diag(reg)) x = rhs for symmetric positive semi-definite G: Cholesky when it
/// succeeds with every pivot^2 above 1e-10 times the largest diagonal entry; otherwise
/// (numerically rank-deficient) the truncated solve, an eigen-decomposition pseudo-inverse
/// with eigenvalues below rcond * max dropped (the minimum-norm least-squares solution).
/// Returns true if the truncated solve was used.
bool spd_solve(int64_t n, const double* G, const double* reg, const double* rhs, double* x,
               double rcond = 1e-13);

}  // namespace ttsolve::regression
