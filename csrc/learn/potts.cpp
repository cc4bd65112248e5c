#include "learn/potts.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ttsolve::learn {

namespace {
constexpr int64_t kParallelWork = int64_t(1) << 21;  // below this, one thread (see moments.cpp)
}

void potts_moments(const uint8_t* X, int64_t n, int64_t D, int64_t K, double* mean, double* pair) {
  const int64_t KK = K * K;
  const double inv = 1.0 / double(n);
#pragma omp parallel for schedule(dynamic, 1) if (n * D * D > kParallelWork)
  for (int64_t i = 0; i < D; ++i) {
    std::vector<int64_t> counts(size_t(D * KK), 0);  // exact integer counts for row block i
    for (int64_t r = 0; r < n; ++r) {
      const uint8_t* x = X + r * D;
      const int64_t a = x[i];
      for (int64_t j = 0; j < D; ++j) ++counts[size_t(j * KK + a * K + x[j])];
    }
    for (int64_t j = 0; j < D; ++j)
      for (int64_t k = 0; k < KK; ++k) pair[(i * D + j) * KK + k] = double(counts[size_t(j * KK + k)]) * inv;
    for (int64_t a = 0; a < K; ++a) mean[i * K + a] = double(counts[size_t(i * KK + a * K + a)]) * inv;
  }
}

double potts_pseudo_loglik(const uint8_t* X, int64_t n, int64_t D, int64_t K, const double* J,
                           const double* b, double l2, double l2_bias, double* G, double* gb) {
  const int64_t KK = K * K;
  // Per row and site: the residual R[r,i,a] = [x_i = a] - p(x_i = a | rest).
  std::vector<double> R(static_cast<size_t>(n * D * K)), row_pl(static_cast<size_t>(n));
  const bool parallel = n * D * D * K > kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* x = X + r * D;
    std::vector<double> logit(static_cast<size_t>(K));
    double pl = 0.0;
    for (int64_t i = 0; i < D; ++i) {
      for (int64_t a = 0; a < K; ++a) logit[size_t(a)] = 0.0;
      for (int64_t j = 0; j < D; ++j) {
        if (j == i) continue;
        const double* Jij = J + (i * D + j) * KK + x[j];  // J[i, j, a, x_j] at stride K
        for (int64_t a = 0; a < K; ++a) logit[size_t(a)] += Jij[a * K];
      }
      double top = -INFINITY;
      for (int64_t a = 0; a < K; ++a) {
        logit[size_t(a)] = 2.0 * logit[size_t(a)] + b[i * K + a];
        top = std::max(top, logit[size_t(a)]);
      }
      double z = 0.0;
      for (int64_t a = 0; a < K; ++a) z += std::exp(logit[size_t(a)] - top);
      const double lse = top + std::log(z);
      pl += logit[size_t(x[i])] - lse;
      double* Ri = R.data() + (r * D + i) * K;
      for (int64_t a = 0; a < K; ++a) Ri[a] = (a == x[i] ? 1.0 : 0.0) - std::exp(logit[size_t(a)] - lse);
    }
    row_pl[size_t(r)] = pl;
  }
  const double inv = 1.0 / double(n);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t i = 0; i < D; ++i) {
    // G[i, j, a, c] = mean_r R[r,i,a] [x_rj = c] + [x_ri = a] R[r,j,c]; rows in order.
    double* Gi = G + i * D * KK;
    std::fill(Gi, Gi + D * KK, 0.0);
    double* gbi = gb + i * K;
    std::fill(gbi, gbi + K, 0.0);
    for (int64_t r = 0; r < n; ++r) {
      const uint8_t* x = X + r * D;
      const double* Rr = R.data() + r * D * K;
      const double* Ri = Rr + i * K;
      const int64_t xi = x[i];
      for (int64_t a = 0; a < K; ++a) gbi[a] += Ri[a];
      for (int64_t j = 0; j < D; ++j) {
        if (j == i) continue;
        double* g = Gi + j * KK;
        const int64_t xj = x[j];
        for (int64_t a = 0; a < K; ++a) g[a * K + xj] += Ri[a];
        const double* Rj = Rr + j * K;
        for (int64_t c = 0; c < K; ++c) g[xi * K + c] += Rj[c];
      }
    }
    for (int64_t k = 0; k < D * KK; ++k) Gi[k] = Gi[k] * inv - 2.0 * l2 * J[i * D * KK + k];
    std::fill(Gi + i * KK, Gi + (i + 1) * KK, 0.0);  // J[i, i] is held at 0
    for (int64_t a = 0; a < K; ++a) gbi[a] = gbi[a] * inv - 2.0 * l2_bias * b[i * K + a];
  }
  double total = 0.0, pen = 0.0, pen_b = 0.0;
  for (int64_t r = 0; r < n; ++r) total += row_pl[size_t(r)];
  for (int64_t k = 0; k < D * D * KK; ++k) pen += J[k] * J[k];
  for (int64_t k = 0; k < D * K; ++k) pen_b += b[k] * b[k];
  return total * inv - l2 * pen - l2_bias * pen_b;
}

}  // namespace ttsolve::learn
