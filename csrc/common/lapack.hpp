// Dense linear algebra through the BLAS/LAPACK that scipy ships (scipy-openblas).
//
// The Fortran entry points are not linked at build time: at import, Python hands
// us the function pointers exported by scipy.linalg.cython_blas / cython_lapack
// (PyCapsules), so the extension uses exactly the library scipy was built with,
// with no system BLAS needed. All helpers below take ROW-MAJOR arrays.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ttsolve::la {

using dgemm_t = void(const char*, const char*, const int*, const int*, const int*, const double*,
                     const double*, const int*, const double*, const int*, const double*, double*,
                     const int*);
using sgemm_t = void(const char*, const char*, const int*, const int*, const int*, const float*,
                     const float*, const int*, const float*, const int*, const float*, float*,
                     const int*);
using dgemv_t = void(const char*, const int*, const int*, const double*, const double*, const int*,
                     const double*, const int*, const double*, double*, const int*);
using dsyrk_t = void(const char*, const char*, const int*, const int*, const double*, const double*,
                     const int*, const double*, double*, const int*);
using dtrsm_t = void(const char*, const char*, const char*, const char*, const int*, const int*, const double*,
                     const double*, const int*, double*, const int*);
using dtrmm_t = void(const char*, const char*, const char*, const char*, const int*, const int*, const double*,
                     const double*, const int*, double*, const int*);
using dgeqrf_t = void(const int*, const int*, double*, const int*, double*, double*, const int*, int*);
using dorgqr_t = void(const int*, const int*, const int*, double*, const int*, const double*, double*,
                      const int*, int*);
using dgesdd_t = void(const char*, const int*, const int*, double*, const int*, double*, double*,
                      const int*, double*, const int*, double*, const int*, int*, int*);
using dgesvd_t = void(const char*, const char*, const int*, const int*, double*, const int*, double*,
                      double*, const int*, double*, const int*, double*, const int*, int*);
using dpotrf_t = void(const char*, const int*, double*, const int*, int*);
using dpotrs_t = void(const char*, const int*, const int*, const double*, const int*, double*,
                      const int*, int*);
using dsyev_t = void(const char*, const char*, const int*, double*, const int*, double*, double*,
                     const int*, int*);
using dsyevd_t = void(const char*, const char*, const int*, double*, const int*, double*, double*,
                      const int*, int*, const int*, int*);
using dsytrd_t = void(const char*, const int*, double*, const int*, double*, double*, double*, double*,
                      const int*, int*);
using dsterf_t = void(const int*, double*, double*, int*);
using dstein_t = void(const int*, const double*, const double*, const int*, const double*, const int*,
                      const int*, double*, const int*, double*, int*, int*, int*);
using dormtr_t = void(const char*, const char*, const char*, const int*, const int*, const double*,
                      const int*, const double*, double*, const int*, double*, const int*, int*);

struct Table {
  dgemm_t* dgemm = nullptr;
  sgemm_t* sgemm = nullptr;  // single precision: only where float32 accuracy is enough
  dgemv_t* dgemv = nullptr;
  dsyrk_t* dsyrk = nullptr;
  dtrsm_t* dtrsm = nullptr;
  dtrmm_t* dtrmm = nullptr;
  dgeqrf_t* dgeqrf = nullptr;
  dorgqr_t* dorgqr = nullptr;
  dgesdd_t* dgesdd = nullptr;
  dgesvd_t* dgesvd = nullptr;
  dpotrf_t* dpotrf = nullptr;
  dpotrs_t* dpotrs = nullptr;
  dsyev_t* dsyev = nullptr;
  dsyevd_t* dsyevd = nullptr;  // divide and conquer: ~2x faster than dsyev for n ~ 50-100
  // Partial eigen-decomposition (SymmetricEig): tridiagonalise, all eigenvalues, a few vectors.
  dsytrd_t* dsytrd = nullptr;
  dsterf_t* dsterf = nullptr;
  dstein_t* dstein = nullptr;
  dormtr_t* dormtr = nullptr;
};

/// The routines that must be registered (names as in scipy.linalg.cython_*).
const std::vector<std::string>& required_routines();
/// Register one routine pointer; throws std::invalid_argument for an unknown name.
void register_routine(const std::string& name, void* fn);
/// Throws std::runtime_error if any routine is missing.
const Table& table();

// ---- row-major helpers --------------------------------------------------------

/// C (M x N) = alpha * op(A) * op(B) + beta * C, all row-major with leading dims.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

/// Single-precision gemm (same conventions), for products whose result only steers a
/// proposal or similar and tolerates float32 rounding.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

/// y (M) = alpha * op(A) x + beta * y for row-major A (rows x cols).
void gemv(bool trans_a, int64_t rows, int64_t cols, double alpha, const double* A, int64_t lda,
          const double* x, double beta, double* y);

/// C (N x N, leading dim ldc; ldc < 0: N) = alpha * A^T A + beta * C for row-major A (K x N);
/// C is made fully symmetric.
void syrk_ata(int64_t K, int64_t N, double alpha, const double* A, int64_t lda, double beta, double* C,
              int64_t ldc = -1);

/// B <- op(L) B (left) or B op(L) (right) in place for row-major B (M x N) and the row-major
/// lower-triangular L (M x M or N x N) as la::cholesky leaves it, op(L) = L or L^T
/// (a TRMM: half the flops of a GEMM).
void trmm_lower(bool left, bool transpose, int64_t M, int64_t N, double* B, const double* L);

/// C (N x N, leading dim ldc) = alpha * A A^T + beta * C for row-major A (N x K); C is made
/// fully symmetric.
void syrk_aat(int64_t N, int64_t K, double alpha, const double* A, int64_t lda, double beta, double* C,
              int64_t ldc);

/// Re-orthonormalises the columns of the row-major A (M x N, M >= N) in place by one
/// Cholesky-QR pass (A <- A R^{-1}, R^T R = A^T A: a SYRK, a Cholesky and a TRSM) when A is
/// already nearly orthonormal, i.e. every entry of A^T A - I is at most max_deviation (then
/// cond(A)^2 is small and one pass is accurate to rounding level). Returns false, leaving A
/// unchanged, otherwise (use qr()).
bool cholesky_qr_nearly_orthonormal(int64_t M, int64_t N, double* A, double max_deviation);

/// Thin QR of row-major A (M x N): Q (M x k) and R (k x N), k = min(M, N).
void qr(int64_t M, int64_t N, const double* A, std::vector<double>& Q, std::vector<double>& R);

/// In-place thin LQ of the row-major A (M x N), k = min(M, N): A = L Q with Q (k x N, orthonormal
/// rows) left in A's first k rows and L (M x k, lower trapezoidal, row-major) in L. This is
/// LAPACK's QR of the column-major view A^T, so no transposed copies are made (unlike qr()).
void lq_inplace(int64_t M, int64_t N, double* A, std::vector<double>& L);

/// Thin SVD of row-major A (M x N): U (M x k), s (k, descending), Vt (k x N).
/// Uses dgesdd and falls back to dgesvd if it does not converge.
void svd(int64_t M, int64_t N, const double* A, std::vector<double>& U, std::vector<double>& s,
         std::vector<double>& Vt);

/// Solve the SPD system A x = b in place (A: n x n, overwritten; b: n x nrhs row-major).
/// Returns false (leaving b unspecified) if A is not numerically positive definite.
bool cholesky_solve(int64_t n, double* A, double* b, int64_t nrhs = 1);

/// In-place Cholesky of the SPD row-major A (n x n): on success A holds the lower L with
/// A = L L^T (upper part zeroed). Returns false if A is not numerically positive definite.
bool cholesky(int64_t n, double* A);

/// Eigen-decomposition of the symmetric n x n A: eigenvalues ascending in w, eigenvectors
/// as the ROWS of V (V[i*n + j] = component j of eigenvector i).
/// (dsyevd; dsyev only if dsyevd fails to converge.)
void symmetric_eig(int64_t n, const double* A, std::vector<double>& w, std::vector<double>& V);

/// Eigenvalues of a symmetric matrix first, eigenvectors of the largest ones afterwards, for
/// truncations that choose the rank from the eigenvalues and need only the kept vectors:
/// Householder tridiagonalisation (dsytrd), all eigenvalues by the root-free QR algorithm
/// (dsterf), inverse iteration for the requested vectors (dstein, which re-orthogonalises
/// close eigenvalues) and back-transformation (dormtr). For n = 60 and 20 vectors this is
/// ~25% cheaper than dsyevd. For more than n/2 vectors, or if inverse iteration fails, the
/// vectors come from dsyevd.
class SymmetricEig {
 public:
  /// Decomposes the symmetric row-major A (n x n).
  SymmetricEig(int64_t n, const double* A);
  /// All eigenvalues, ascending.
  const std::vector<double>& values() const { return w_; }
  /// Eigenvectors of the k largest eigenvalues as the rows of V (k x n): row j belongs to
  /// values()[n - 1 - j].
  void top_vectors(int64_t k, std::vector<double>& V) const;

 private:
  int64_t n_;
  std::vector<double> src_;                  // the input, for the dsyevd fallback
  std::vector<double> a_, d_, e_, tau_, w_;  // a_: reflectors of dsytrd (column-major, lower)
};

/// Checked conversion of a size to the 32-bit BLAS integer type.
int blas_int(int64_t v, const char* what);

}  // namespace ttsolve::la
