#include "mcmc/rbm_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/lapack.hpp"
#include "mcmc/rbm_kernels.hpp"  // exp_nonpositive

namespace ttsolve::mcmc {

namespace {
inline double softplus(double a) { return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a))); }
}  // namespace

void RbmModel::validate() const {
  if (n_hidden < 1 || dim < 1) throw std::invalid_argument("RBM: W must be non-empty");
  if (int64_t(W.size()) != n_hidden * dim || int64_t(b.size()) != dim || int64_t(c.size()) != n_hidden)
    throw std::invalid_argument("RBM: W, b, c have inconsistent shapes");
  for (const auto* v : {&W, &b, &c})
    for (double a : *v)
      if (!std::isfinite(a)) throw std::invalid_argument("RBM: W, b, c must be finite");
}

void RbmModel::prepare() {
  const int64_t D = dim, H = n_hidden;
  WT.assign(size_t(D * H), 0.0);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < D; ++i) WT[i * H + h] = W[h * D + i];
  WT32.assign(WT.begin(), WT.end());
}

double RbmModel::log_prob(const uint8_t* x) const {
  double f = 0.0;
  for (int64_t i = 0; i < dim; ++i) f += x[i] ? b[i] : 0.0;
  for (int64_t h = 0; h < n_hidden; ++h) {
    double a = c[h];
    for (int64_t i = 0; i < dim; ++i) a += x[i] ? W[h * dim + i] : 0.0;
    f += softplus(a);
  }
  return f;
}

void RbmModel::preactivations(const uint8_t* x, double* A) const {
  const int64_t D = dim, H = n_hidden;
  std::copy(c.begin(), c.end(), A);
  for (int64_t i = 0; i < D; ++i) {
    if (!x[i]) continue;
    const double* col = &WT[i * H];
    for (int64_t h = 0; h < H; ++h) A[h] += col[h];
  }
}

void rbm_gradient_product(const RbmModel& m, int64_t rows, const float* S, float* G) {
  la::gemm(false, true, m.dim, rows, m.n_hidden, 1.0f, m.WT32.data(), m.n_hidden, S, m.n_hidden, 0.0f, G, rows);
}

void RbmFlipTables::prepare(const RbmModel& m, bool by_hidden, bool by_site) {
  const int64_t D = m.dim, H = m.n_hidden;
  double wmax = 0.0;
  for (double w : m.W) wmax = std::max(wmax, std::abs(w));
  // Each factor lies between min(1, e^w) and max(1, e^w): `chunk` of them stay within
  // e^{+-600}, far from double overflow.
  chunk = std::max<int64_t>(1, std::min<int64_t>(64, int64_t(600.0 / std::max(wmax, 1e-300))));
  colsum.assign(size_t(D), 0.0);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < D; ++i) colsum[i] += m.W[h * D + i];
  EW.clear();
  EWT.clear();
  if (by_hidden) {
    EW.resize(size_t(H * D));
    for (int64_t k = 0; k < H * D; ++k) EW[k] = std::exp(m.W[k]);
  }
  if (by_site) {
    EWT.resize(size_t(H * D));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < D; ++i) EWT[i * H + h] = std::exp(m.W[h * D + i]);
  }
}

double hidden_terms(const double* A, int64_t H, double* sig, double* sbar) {
  double total = 0.0;
  for (int64_t h = 0; h < H; ++h) {
    const double a = A[h], e = std::exp(-std::abs(a)), inv = 1.0 / (1.0 + e);
    total += std::max(a, 0.0) + std::log1p(e);
    sig[h] = a >= 0 ? inv : e * inv;
    sbar[h] = a >= 0 ? e * inv : inv;
  }
  return total;
}

void hidden_probs(const double* A, int64_t H, double* sig, double* sbar) {
  for (int64_t h = 0; h < H; ++h) {
    const double a = A[h], e = std::exp(-std::abs(a)), inv = 1.0 / (1.0 + e);
    sig[h] = a >= 0 ? inv : e * inv;
    sbar[h] = a >= 0 ? e * inv : inv;
  }
}

void flip_hidden_probs(const double* ew, bool up, int64_t H, double* sig, double* sbar) {
  double* p = up ? sbar : sig;  // t = p + q e^w; q gains the factor e^w
  double* q = up ? sig : sbar;
  for (int64_t h = 0; h < H; ++h) {
    const double qe = q[h] * ew[h], inv = 1.0 / (p[h] + qe);
    p[h] *= inv;
    q[h] = qe * inv;
  }
}

double flip_delta(const RbmModel& m, const RbmFlipTables& t, const uint8_t* x, const double* sig,
                  const double* sbar, int64_t i) {
  const int64_t H = m.n_hidden;
  const double* ew = &t.EWT[i * H];
  const bool up = !x[i];
  const double* p = up ? sbar : sig;  // term = p_h + q_h e^{W_hi}
  const double* q = up ? sig : sbar;
  double logs = 0.0;
  for (int64_t h0 = 0; h0 < H; h0 += t.chunk) {
    const int64_t h1 = std::min(H, h0 + t.chunk);
    double prod = 1.0;
    for (int64_t h = h0; h < h1; ++h) prod *= p[h] + q[h] * ew[h];
    logs += std::log(prod);
  }
  return up ? m.b[i] + logs : -m.b[i] - t.colsum[i] + logs;
}

void flip_deltas(const RbmModel& m, const RbmFlipTables& t, int64_t R, const uint8_t* x, const double* sig,
                 const double* sbar, double* out, double* work) {
  const int64_t D = m.dim, H = m.n_hidden;
  double* prod = work;            // (R x D) running products
  double* up = work + R * D;      // (R x D) 1.0 where x_i = 0, else 0.0
  double* down = work + 2 * R * D;  // 1 - up
  for (int64_t k = 0; k < R * D; ++k) {
    prod[k] = 1.0;
    up[k] = x[k] ? 0.0 : 1.0;
    down[k] = 1.0 - up[k];
    out[k] = 0.0;
  }
  for (int64_t h0 = 0; h0 < H; h0 += t.chunk) {
    const int64_t h1 = std::min(H, h0 + t.chunk);
    for (int64_t h = h0; h < h1; ++h) {
      const double* ew = &t.EW[h * D];
      for (int64_t r = 0; r < R; ++r) {
        const double s = sig[r * H + h], sb = sbar[r * H + h];
        double* pr = prod + r * D;
        const double *u = up + r * D, *dn = down + r * D;
        // v_i = 0: sbar + sig e^w; v_i = 1: sig + sbar e^w. Branch-free and exact: u, dn
        // are 0/1, so p and q are sbar / sig themselves.
        for (int64_t i = 0; i < D; ++i) {
          const double p = sb * u[i] + s * dn[i], q = s * u[i] + sb * dn[i];
          pr[i] *= p + q * ew[i];
        }
      }
    }
    for (int64_t k = 0; k < R * D; ++k) {
      out[k] += std::log(prod[k]);
      prod[k] = 1.0;
    }
  }
  for (int64_t r = 0; r < R; ++r)
    for (int64_t i = 0; i < D; ++i) {
      const int64_t k = r * D + i;
      out[k] += up[k] != 0.0 ? m.b[i] : -m.b[i] - t.colsum[i];
    }
}

}  // namespace ttsolve::mcmc
