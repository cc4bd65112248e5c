#include "common/lapack.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>

namespace ttsolve::la {
namespace {
Table g_table;
}

const std::vector<std::string>& required_routines() {
  static const std::vector<std::string> names = {"dgemm", "sgemm", "dgemv", "dsyrk", "dtrsm", "dtrmm", "dgeqrf", "dorgqr",
                                                 "dgesdd", "dgesvd", "dpotrf", "dpotrs", "dsyev",
                                                 "dsyevd", "dsytrd", "dsterf", "dstein", "dormtr"};
  return names;
}

void register_routine(const std::string& name, void* fn) {
  if (fn == nullptr) throw std::invalid_argument("null pointer for LAPACK routine " + name);
  if (name == "dgemm") g_table.dgemm = reinterpret_cast<dgemm_t*>(fn);
  else if (name == "sgemm") g_table.sgemm = reinterpret_cast<sgemm_t*>(fn);
  else if (name == "dgemv") g_table.dgemv = reinterpret_cast<dgemv_t*>(fn);
  else if (name == "dsyrk") g_table.dsyrk = reinterpret_cast<dsyrk_t*>(fn);
  else if (name == "dtrsm") g_table.dtrsm = reinterpret_cast<dtrsm_t*>(fn);
  else if (name == "dtrmm") g_table.dtrmm = reinterpret_cast<dtrmm_t*>(fn);
  else if (name == "dgeqrf") g_table.dgeqrf = reinterpret_cast<dgeqrf_t*>(fn);
  else if (name == "dorgqr") g_table.dorgqr = reinterpret_cast<dorgqr_t*>(fn);
  else if (name == "dgesdd") g_table.dgesdd = reinterpret_cast<dgesdd_t*>(fn);
  else if (name == "dgesvd") g_table.dgesvd = reinterpret_cast<dgesvd_t*>(fn);
  else if (name == "dpotrf") g_table.dpotrf = reinterpret_cast<dpotrf_t*>(fn);
  else if (name == "dpotrs") g_table.dpotrs = reinterpret_cast<dpotrs_t*>(fn);
  else if (name == "dsyev") g_table.dsyev = reinterpret_cast<dsyev_t*>(fn);
  else if (name == "dsyevd") g_table.dsyevd = reinterpret_cast<dsyevd_t*>(fn);
  else if (name == "dsytrd") g_table.dsytrd = reinterpret_cast<dsytrd_t*>(fn);
  else if (name == "dsterf") g_table.dsterf = reinterpret_cast<dsterf_t*>(fn);
  else if (name == "dstein") g_table.dstein = reinterpret_cast<dstein_t*>(fn);
  else if (name == "dormtr") g_table.dormtr = reinterpret_cast<dormtr_t*>(fn);
  else throw std::invalid_argument("unknown LAPACK routine " + name);
}

const Table& table() {
  const Table& t = g_table;
  if (!t.dgemm || !t.sgemm || !t.dgemv || !t.dsyrk || !t.dtrsm || !t.dtrmm || !t.dgeqrf || !t.dorgqr || !t.dgesdd || !t.dgesvd ||
      !t.dpotrf || !t.dpotrs || !t.dsyev || !t.dsyevd || !t.dsytrd || !t.dsterf || !t.dstein || !t.dormtr)
    throw std::runtime_error("ttsolve: BLAS/LAPACK routines were not registered (import ttsolve first)");
  return t;
}

int blas_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw std::length_error(std::string(what) + " is too large for 32-bit BLAS/LAPACK");
  return static_cast<int>(v);
}

template <class T, class Fn>
void gemm_any(Fn* fn, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  const char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
  const int m = blas_int(N, "gemm N"), n = blas_int(M, "gemm M"), k = blas_int(K, "gemm K");
  const int la = blas_int(std::max<int64_t>(lda, 1), "lda"), lb = blas_int(std::max<int64_t>(ldb, 1), "ldb"),
            lc = blas_int(std::max<int64_t>(ldc, 1), "ldc");
  if (k == 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
    return;
  }
  fn(&tb, &ta, &m, &n, &k, &alpha, B, &lb, A, &la, &beta, C, &lc);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_any(table().dgemm, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_any(table().sgemm, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemv(bool trans_a, int64_t rows, int64_t cols, double alpha, const double* A, int64_t lda,
          const double* x, double beta, double* y) {
  const Table& t = table();
  // Row-major A is column-major A^T (cols x rows).
  const char ta = trans_a ? 'N' : 'T';
  const int m = blas_int(cols, "gemv cols"), n = blas_int(rows, "gemv rows");
  const int la = blas_int(std::max<int64_t>(lda, 1), "lda"), one = 1;
  if (m == 0 || n == 0) {
    const int64_t len = trans_a ? cols : rows;
    for (int64_t i = 0; i < len; ++i) y[i] = beta == 0.0 ? 0.0 : beta * y[i];
    return;
  }
  t.dgemv(&ta, &m, &n, &alpha, A, &la, x, &one, &beta, y, &one);
}

namespace {

// C (N x N, leading dim ldc) = alpha * op(A) + beta * C through DSYRK with the given trans for
// the column-major view of the row-major A (K rows of the inner dimension for 'N', N rows for
// 'T'); DSYRK fills the column-major upper triangle (= row-major lower), which is mirrored.
void syrk_rowmajor(char trans, int64_t N, int64_t K, double alpha, const double* A, int64_t lda, double beta,
                   double* C, int64_t ldc) {
  if (N == 0) return;
  const Table& t = table();
  const char uplo = 'U';
  const int n = blas_int(N, "syrk N"), k = blas_int(K, "syrk K");
  const int la = blas_int(std::max<int64_t>(lda, 1), "lda"), lc = blas_int(std::max<int64_t>(ldc, 1), "ldc");
  if (k > 0) t.dsyrk(&uplo, &trans, &n, &k, &alpha, A, &la, &beta, C, &lc);
  else
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j <= i; ++j) C[i * ldc + j] *= beta;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = i + 1; j < N; ++j) C[i * ldc + j] = C[j * ldc + i];
}

}  // namespace

void syrk_ata(int64_t K, int64_t N, double alpha, const double* A, int64_t lda, double beta, double* C,
              int64_t ldc) {
  // Row-major A (K x N) is column-major A^T (N x K): C = A^T A = (A^T)(A^T)^T, trans = 'N'.
  syrk_rowmajor('N', N, K, alpha, A, lda, beta, C, ldc < 0 ? N : ldc);
}

void syrk_aat(int64_t N, int64_t K, double alpha, const double* A, int64_t lda, double beta, double* C,
              int64_t ldc) {
  // Row-major A (N x K) is column-major A^T (K x N): C = A A^T = (A^T)^T (A^T), trans = 'T'.
  syrk_rowmajor('T', N, K, alpha, A, lda, beta, C, ldc);
}

void trmm_lower(bool left, bool transpose, int64_t M, int64_t N, double* B, const double* L) {
  if (M == 0 || N == 0) return;
  // Column-major, B is B^T (N x M) and L's buffer is the upper U = L^T. op(L) B = (B^T op(L)^T)^T
  // and B op(L) = (op(L)^T B^T)^T, with L^T = U and L = U^T.
  const Table& t = table();
  const char side = left ? 'R' : 'L', uplo = 'U', trans = transpose ? 'T' : 'N', diag = 'N';
  const int n = blas_int(N, "trmm N"), m = blas_int(M, "trmm M");
  const int ld = left ? m : n;
  const double one = 1.0;
  t.dtrmm(&side, &uplo, &trans, &diag, &n, &m, &one, L, &ld, B, &n);
}

namespace {
/// Every entry of the n x n H within tol of the identity's (NaN fails).
bool near_identity(int64_t n, const double* H, double tol) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (!(std::abs(H[i * n + j] - (i == j ? 1.0 : 0.0)) <= tol)) return false;
  return true;
}
}  // namespace

bool cholesky_qr_nearly_orthonormal(int64_t M, int64_t N, double* A, double max_deviation) {
  if (N == 0) return true;
  if (M < N) return false;
  std::vector<double> H(N * N);
  syrk_ata(M, N, 1.0, A, N, 0.0, H.data());
  if (!near_identity(N, H.data(), max_deviation)) return false;
  if (!cholesky(N, H.data())) return false;  // H = L L^T, L row-major lower
  // A <- A L^{-T}. Column-major, A is A^T (N x M) and L's buffer is the upper U = L^T:
  // A^T <- L^{-1} A^T = U^{-T} A^T.
  const Table& t = table();
  const char side = 'L', uplo = 'U', trans = 'T', diag = 'N';
  const int n = blas_int(N, "qr N"), m = blas_int(M, "qr M");
  const double one = 1.0;
  t.dtrsm(&side, &uplo, &trans, &diag, &n, &m, &one, H.data(), &n, A, &n);
  return true;
}

namespace {
/// Householder QR of the column-major rows x cols matrix a (lda = rows) in place: a becomes
/// the thin Q (rows x k, k = min(rows, cols) > 0) and R (k x cols, upper trapezoidal) is
/// returned row-major.
void householder_qr_colmajor(int64_t rows, int64_t cols, double* a, std::vector<double>& R) {
  const Table& t = table();
  const int64_t k = std::min(rows, cols);
  const int m = blas_int(rows, "qr rows"), n = blas_int(cols, "qr cols"), kk = static_cast<int>(k);
  std::vector<double> tau(k);
  int info = 0, lwork = -1;
  double wq = 0;
  t.dgeqrf(&m, &n, a, &m, tau.data(), &wq, &lwork, &info);
  std::vector<double> work(std::max(1, static_cast<int>(wq)));
  lwork = static_cast<int>(work.size());
  t.dgeqrf(&m, &n, a, &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) throw std::runtime_error("dgeqrf failed");
  R.assign(k * cols, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < cols; ++j) R[i * cols + j] = a[j * rows + i];
  lwork = -1;
  t.dorgqr(&m, &kk, &kk, a, &m, tau.data(), &wq, &lwork, &info);
  work.assign(std::max(1, static_cast<int>(wq)), 0.0);
  lwork = static_cast<int>(work.size());
  t.dorgqr(&m, &kk, &kk, a, &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) throw std::runtime_error("dorgqr failed");
}
}  // namespace

void qr(int64_t M, int64_t N, const double* A, std::vector<double>& Q, std::vector<double>& R) {
  const int64_t k = std::min(M, N);
  Q.assign(M * k, 0.0);
  R.assign(k * N, 0.0);
  if (k == 0) return;
  // Column-major working copy.
  std::vector<double> a(M * N);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) a[j * M + i] = A[i * N + j];
  householder_qr_colmajor(M, N, a.data(), R);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < k; ++j) Q[i * k + j] = a[j * M + i];
}

void lq_inplace(int64_t M, int64_t N, double* A, std::vector<double>& L) {
  const int64_t k = std::min(M, N);
  L.assign(M * k, 0.0);
  if (k == 0) return;
  // Row-major A (M x N) is column-major A^T (N x M) = Q' R, so A = R^T Q'^T: L = R^T, and Q'
  // (column-major N x k) is Q (row-major k x N).
  std::vector<double> R;
  householder_qr_colmajor(N, M, A, R);  // R: k x M
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j <= std::min(i, k - 1); ++j) L[i * k + j] = R[j * M + i];
}

void svd(int64_t M, int64_t N, const double* A, std::vector<double>& U, std::vector<double>& s,
         std::vector<double>& Vt) {
  const Table& t = table();
  const int64_t k = std::min(M, N);
  U.assign(M * k, 0.0);
  s.assign(k, 0.0);
  Vt.assign(k * N, 0.0);
  if (k == 0) return;
  // Row-major A (M x N) is column-major A^T (N x M) = V S U^T. LAPACK's "U" of A^T (N x k,
  // column-major) is our Vt (k x N, row-major), and its "VT" (k x M, column-major) is our U.
  const int m = blas_int(N, "svd N"), n = blas_int(M, "svd M"), kk = static_cast<int>(k);
  std::vector<double> a(A, A + M * N);
  int info = 0, lwork = -1;
  double wq = 0;
  std::vector<int> iwork(8 * k);
  const char jobz = 'S';
  t.dgesdd(&jobz, &m, &n, a.data(), &m, s.data(), Vt.data(), &m, U.data(), &kk, &wq, &lwork,
           iwork.data(), &info);
  lwork = std::max(1, static_cast<int>(wq));
  std::vector<double> work(lwork);
  t.dgesdd(&jobz, &m, &n, a.data(), &m, s.data(), Vt.data(), &m, U.data(), &kk, work.data(), &lwork,
           iwork.data(), &info);
  if (info == 0) return;
  if (info < 0) throw std::runtime_error("dgesdd: illegal argument");
  // dgesdd did not converge: the slower QR-iteration SVD is more robust.
  a.assign(A, A + M * N);
  const char job = 'S';
  lwork = -1;
  t.dgesvd(&job, &job, &m, &n, a.data(), &m, s.data(), Vt.data(), &m, U.data(), &kk, &wq, &lwork, &info);
  lwork = std::max(1, static_cast<int>(wq));
  work.assign(lwork, 0.0);
  t.dgesvd(&job, &job, &m, &n, a.data(), &m, s.data(), Vt.data(), &m, U.data(), &kk, work.data(), &lwork,
           &info);
  if (info != 0) throw std::runtime_error("SVD did not converge (dgesdd and dgesvd both failed)");
}

bool cholesky_solve(int64_t n, double* A, double* b, int64_t nrhs) {
  if (n == 0) return true;
  const Table& t = table();
  const char uplo = 'U';
  const int nn = blas_int(n, "cholesky n"), nr = blas_int(nrhs, "nrhs");
  int info = 0;
  t.dpotrf(&uplo, &nn, A, &nn, &info);
  if (info != 0) return false;
  if (nrhs == 1) {
    t.dpotrs(&uplo, &nn, &nr, A, &nn, b, &nn, &info);
  } else {
    // b is row-major n x nrhs; LAPACK wants column-major n x nrhs.
    std::vector<double> bc(n * nrhs);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < nrhs; ++j) bc[j * n + i] = b[i * nrhs + j];
    t.dpotrs(&uplo, &nn, &nr, A, &nn, bc.data(), &nn, &info);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < nrhs; ++j) b[i * nrhs + j] = bc[j * n + i];
  }
  return info == 0;
}

bool cholesky(int64_t n, double* A) {
  if (n == 0) return true;
  const Table& t = table();
  // Column-major upper U with A = U^T U is, read row-major, the lower L = U^T with A = L L^T.
  const char uplo = 'U';
  const int nn = blas_int(n, "cholesky n");
  int info = 0;
  t.dpotrf(&uplo, &nn, A, &nn, &info);
  if (info != 0) return false;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) A[i * n + j] = 0.0;
  return true;
}

void symmetric_eig(int64_t n, const double* A, std::vector<double>& w, std::vector<double>& V) {
  const Table& t = table();
  w.assign(n, 0.0);
  V.assign(A, A + n * n);
  if (n == 0) return;
  const int nn = blas_int(n, "eig n");
  const char jobz = 'V', uplo = 'U';
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  t.dsyevd(&jobz, &uplo, &nn, V.data(), &nn, w.data(), &wq, &lwork, &iwq, &liwork, &info);
  lwork = std::max(1, static_cast<int>(wq));
  liwork = std::max(1, iwq);
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  t.dsyevd(&jobz, &uplo, &nn, V.data(), &nn, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) {  // rare: retry with the QR algorithm
    V.assign(A, A + n * n);
    lwork = -1;
    t.dsyev(&jobz, &uplo, &nn, V.data(), &nn, w.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    work.resize(lwork);
    t.dsyev(&jobz, &uplo, &nn, V.data(), &nn, w.data(), work.data(), &lwork, &info);
    if (info != 0) throw std::runtime_error("dsyevd/dsyev did not converge");
  }
  // Column-major eigenvector columns are the rows of the row-major buffer: nothing to do.
}

SymmetricEig::SymmetricEig(int64_t n, const double* A) : n_(n), src_(A, A + n * n), a_(src_) {
  if (n == 0) return;
  const Table& t = table();
  const int nn = blas_int(n, "eig n");
  const char uplo = 'L';
  d_.assign(n, 0.0);
  e_.assign(std::max<int64_t>(n - 1, 1), 0.0);
  tau_.assign(std::max<int64_t>(n - 1, 1), 0.0);
  int info = 0, lwork = -1;
  double wq = 0;
  t.dsytrd(&uplo, &nn, a_.data(), &nn, d_.data(), e_.data(), tau_.data(), &wq, &lwork, &info);
  lwork = std::max(1, static_cast<int>(wq));
  std::vector<double> work(lwork);
  t.dsytrd(&uplo, &nn, a_.data(), &nn, d_.data(), e_.data(), tau_.data(), work.data(), &lwork, &info);
  w_ = d_;
  std::vector<double> e = e_;  // dsterf destroys its off-diagonal
  t.dsterf(&nn, w_.data(), e.data(), &info);
  if (info != 0) {  // rare: take the values (and later the vectors) from dsyevd
    std::vector<double> V;
    symmetric_eig(n, A, w_, V);
    tau_.clear();
  }
}

void SymmetricEig::top_vectors(int64_t k, std::vector<double>& V) const {
  const int64_t n = n_;
  k = std::min(k, n);
  V.assign(k * n, 0.0);
  if (k <= 0) return;
  const Table& t = table();
  const int nn = blas_int(n, "eig n"), kk = static_cast<int>(k);
  // Inverse iteration pays per vector: for more than half of them dsyevd is cheaper.
  int info = (tau_.empty() || 2 * k > n) ? 1 : 0;
  if (info == 0) {
    // One unreduced block for dstein: it handles tiny off-diagonals itself.
    std::vector<int> iblock(n, 1), isplit(n, 0), iwork(n), ifail(k);
    isplit[0] = nn;
    std::vector<double> work(5 * n);
    // Column-major Z (n x k): column j is row j of V; dstein wants the values ascending.
    std::vector<double> Z(n * k);
    t.dstein(&nn, d_.data(), e_.data(), &kk, &w_[n - k], iblock.data(), isplit.data(), Z.data(), &nn,
             work.data(), iwork.data(), ifail.data(), &info);
    if (info == 0) {
      const char side = 'L', uplo = 'L', trans = 'N';
      int lwork = -1;
      double wq = 0;
      t.dormtr(&side, &uplo, &trans, &nn, &kk, a_.data(), &nn, tau_.data(), Z.data(), &nn, &wq, &lwork, &info);
      lwork = std::max(1, static_cast<int>(wq));
      work.resize(lwork);
      t.dormtr(&side, &uplo, &trans, &nn, &kk, a_.data(), &nn, tau_.data(), Z.data(), &nn, work.data(), &lwork,
               &info);
      // Ascending columns -> descending rows.
      for (int64_t j = 0; j < k; ++j) std::copy(&Z[(k - 1 - j) * n], &Z[(k - j) * n], &V[j * n]);
      // A cheap check of inverse iteration (e.g. T = 0: dstein divides by ||T||, NaN results).
      std::vector<double> VVt(k * k);
      syrk_aat(k, n, 1.0, V.data(), n, 0.0, VVt.data(), k);
      if (!near_identity(k, VVt.data(), 1e-10)) info = 1;
    }
  }
  if (info != 0) {  // many vectors, or inverse iteration failed: the full decomposition
    std::vector<double> w, Vall;
    symmetric_eig(n, src_.data(), w, Vall);
    for (int64_t j = 0; j < k; ++j) std::copy(&Vall[(n - 1 - j) * n], &Vall[(n - j) * n], &V[j * n]);
  }
}

}  // namespace ttsolve::la
