// Functional-TT values, gradients and Laplacians: per sample, left stacks (values) from
// the left and right stacks from the right, so all d partial derivatives cost one
// extra contraction each: O(d p r^2) per sample in total. OpenMP over samples.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "common/parallel.hpp"
#include "regression/regression.hpp"

namespace ttsolve::regression {
namespace {

// out[b] = sum_a v[a] sum_j u[j] core[a, j, b]
inline void left_mul(const double* v, const double* u, const double* core, int64_t r, int64_t p,
                     int64_t r2, double* out) {
  std::fill(out, out + r2, 0.0);
  for (int64_t a = 0; a < r; ++a)
    for (int64_t j = 0; j < p; ++j) {
      const double s = v[a] * u[j];
      if (s == 0.0) continue;
      const double* c = core + (a * p + j) * r2;
      for (int64_t b = 0; b < r2; ++b) out[b] += s * c[b];
    }
}

// out[a] = sum_{j,b} core[a, j, b] u[j] w[b]
inline void right_mul(const double* w, const double* u, const double* core, int64_t r, int64_t p,
                      int64_t r2, double* out) {
  for (int64_t a = 0; a < r; ++a) {
    double s = 0.0;
    for (int64_t j = 0; j < p; ++j) {
      const double* c = core + (a * p + j) * r2;
      double t = 0.0;
      for (int64_t b = 0; b < r2; ++b) t += c[b] * w[b];
      s += u[j] * t;
    }
    out[a] = s;
  }
}

struct Offsets {
  std::vector<int64_t> off;  // off[k] = start of the rank-r_k vector k in a packed buffer
  int64_t total = 0;
  explicit Offsets(const std::vector<int64_t>& ranks) : off(ranks.size()) {
    for (size_t k = 0; k < ranks.size(); ++k) { off[k] = total; total += ranks[k]; }
  }
};

// One thread for small batches: waking a team costs more than it saves.
int threads_for(const CoreList& C, int64_t K) {
  double work = 0;
  for (size_t k = 0; k < C.cores.size(); ++k) work += double(C.ranks[k]) * C.p * C.ranks[k + 1];
  return work * K < 1e6 ? 1 : ttsolve::get_num_threads();
}

void check(const CoreList& C) {
  if (C.cores.empty() || C.ranks.size() != C.cores.size() + 1 || C.ranks.front() != 1 ||
      C.ranks.back() != 1 || C.p < 1)
    throw std::invalid_argument("functional TT: inconsistent cores/ranks");
}

// Derivative term of every slot j: out_j = L_j^T M_j(dPhi) R_{j+1}; `sum` adds them up.
void derivative_terms(const CoreList& C, const double* Phi, const double* D, int64_t K, double* out,
                      bool sum) {
  check(C);
  const int64_t d = static_cast<int64_t>(C.cores.size()), p = C.p;
  const Offsets o(C.ranks);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(C, K))
#endif
  {
    std::vector<double> left(o.total), right(o.total), tmp(*std::max_element(C.ranks.begin(), C.ranks.end()));
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
    for (int64_t i = 0; i < K; ++i) {
      const double* phi = Phi + i * d * p;
      const double* dphi = D + i * d * p;
      left[0] = 1.0;
      for (int64_t k = 0; k < d; ++k)
        left_mul(&left[o.off[k]], phi + k * p, C.cores[k], C.ranks[k], p, C.ranks[k + 1], &left[o.off[k + 1]]);
      right[o.off[d]] = 1.0;
      for (int64_t k = d - 1; k >= 0; --k)
        right_mul(&right[o.off[k + 1]], phi + k * p, C.cores[k], C.ranks[k], p, C.ranks[k + 1], &right[o.off[k]]);
      double total = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        left_mul(&left[o.off[k]], dphi + k * p, C.cores[k], C.ranks[k], p, C.ranks[k + 1], tmp.data());
        double s = 0.0;
        for (int64_t b = 0; b < C.ranks[k + 1]; ++b) s += tmp[b] * right[o.off[k + 1] + b];
        if (sum) total += s;
        else out[i * d + k] = s;
      }
      if (sum) out[i] = total;
    }
  }
}

}  // namespace

void functional_value(const CoreList& C, const double* Phi, int64_t K, double* out) {
  check(C);
  const int64_t d = static_cast<int64_t>(C.cores.size()), p = C.p;
  const int64_t rmax = *std::max_element(C.ranks.begin(), C.ranks.end());
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(threads_for(C, K))
#endif
  {
    std::vector<double> v(rmax), w(rmax);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
    for (int64_t i = 0; i < K; ++i) {
      v[0] = 1.0;
      for (int64_t k = 0; k < d; ++k) {
        left_mul(v.data(), Phi + (i * d + k) * p, C.cores[k], C.ranks[k], p, C.ranks[k + 1], w.data());
        std::swap(v, w);
      }
      out[i] = v[0];
    }
  }
}

void functional_grad(const CoreList& C, const double* Phi, const double* dPhi, int64_t K, double* out) {
  derivative_terms(C, Phi, dPhi, K, out, false);
}

void functional_laplacian(const CoreList& C, const double* Phi, const double* ddPhi, int64_t K,
                          double* out) {
  derivative_terms(C, Phi, ddPhi, K, out, true);
}

}  // namespace ttsolve::regression
