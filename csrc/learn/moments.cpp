#include "learn/moments.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ttsolve::learn {

namespace {

inline int popcount64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcountll(v);
#else
  int n = 0;
  for (; v; v &= v - 1) ++n;
  return n;
#endif
}

/// Columns of X as bit sets: bits[i * words + w] holds rows 64w..64w+63 of column i.
std::vector<uint64_t> pack_columns(const uint8_t* X, int64_t n, int64_t D, int64_t words) {
  std::vector<uint64_t> bits(size_t(D * words), 0);
  for (int64_t r = 0; r < n; ++r) {
    const uint64_t bit = uint64_t(1) << (r & 63);
    const int64_t w = r >> 6;
    for (int64_t i = 0; i < D; ++i)
      if (X[r * D + i]) bits[size_t(i * words + w)] |= bit;
  }
  return bits;
}

// Below this many inner-loop operations a kernel runs on one thread: waking a team costs more
// than the work (and far more on an oversubscribed machine).
constexpr int64_t kParallelWork = int64_t(1) << 21;

inline double sigmoid(double a) { return 0.5 * (1.0 + std::tanh(0.5 * a)); }
inline double softplus(double a) { return a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a)); }

}  // namespace

void binary_moments(const uint8_t* X, int64_t n, int64_t D, bool spins, double* mean, double* second) {
  const int64_t words = (n + 63) / 64;
  const std::vector<uint64_t> bits = pack_columns(X, n, D, words);
  std::vector<int64_t> counts(size_t(D * D));
  // counts[i][j] = #rows with x_i = x_j = 1: exact, so the result is thread-count invariant.
#pragma omp parallel for schedule(dynamic, 4) if (D * D * words > kParallelWork / 8)
  for (int64_t i = 0; i < D; ++i) {
    const uint64_t* bi = bits.data() + i * words;
    for (int64_t j = i; j < D; ++j) {
      const uint64_t* bj = bits.data() + j * words;
      int64_t c = 0;
      for (int64_t w = 0; w < words; ++w) c += popcount64(bi[w] & bj[w]);
      counts[size_t(i * D + j)] = counts[size_t(j * D + i)] = c;
    }
  }
  const double nn = double(n);
  for (int64_t i = 0; i < D; ++i) {
    const double ci = double(counts[size_t(i * D + i)]);
    mean[i] = spins ? (2.0 * ci - nn) / nn : ci / nn;
  }
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j) {
      const double cij = double(counts[size_t(i * D + j)]);
      if (!spins) {
        second[i * D + j] = cij / nn;
      } else {  // s_i s_j = 4 x_i x_j - 2 x_i - 2 x_j + 1, summed exactly in integers
        const int64_t sum = 4 * counts[size_t(i * D + j)] - 2 * counts[size_t(i * D + i)] -
                            2 * counts[size_t(j * D + j)] + n;
        second[i * D + j] = double(sum) / nn;
      }
    }
}

void rbm_moments(const uint8_t* V, int64_t n, int64_t D, int64_t H, const double* W, const double* c,
                 double* mean_v, double* mean_h, double* hv) {
  std::vector<double> sig(size_t(n * H));
  const bool parallel = n * H * D > kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* v = V + r * D;
    for (int64_t k = 0; k < H; ++k) {
      const double* w = W + k * D;
      double a = c[k];
      for (int64_t i = 0; i < D; ++i) a += v[i] ? w[i] : 0.0;
      sig[size_t(r * H + k)] = sigmoid(a);
    }
  }
  const double inv = 1.0 / double(n);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t k = 0; k < H; ++k) {
    double* out = hv + k * D;
    std::fill(out, out + D, 0.0);
    double sh = 0.0;
    for (int64_t r = 0; r < n; ++r) {  // rows in order: the same sums for any thread count
      const double s = sig[size_t(r * H + k)];
      const uint8_t* v = V + r * D;
      sh += s;
      for (int64_t i = 0; i < D; ++i) out[i] += v[i] ? s : 0.0;
    }
    mean_h[k] = sh * inv;
    for (int64_t i = 0; i < D; ++i) out[i] *= inv;
  }
  for (int64_t i = 0; i < D; ++i) {
    int64_t ones = 0;
    for (int64_t r = 0; r < n; ++r) ones += V[r * D + i] != 0;
    mean_v[i] = double(ones) * inv;
  }
}

double binary_pseudo_loglik(const uint8_t* X, int64_t n, int64_t D, const double* J, const double* b,
                            bool spins, double l2, double l2_bias, double* G, double* gb) {
  // Per row: the conditional field of every site, its log-conditional and residual
  // R = value - E[value | rest] (the derivative of the log-conditional by the field).
  std::vector<double> value(size_t(n * D)), R(size_t(n * D)), row_pl(static_cast<size_t>(n));
  const bool parallel = n * D * D > kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < n; ++r) {
    double* y = value.data() + r * D;
    for (int64_t i = 0; i < D; ++i) y[i] = spins ? 2.0 * X[r * D + i] - 1.0 : double(X[r * D + i]);
    double pl = 0.0;
    for (int64_t i = 0; i < D; ++i) {
      const double* Ji = J + i * D;
      double field = 0.0;
      for (int64_t j = 0; j < D; ++j) field += Ji[j] * y[j];
      field -= Ji[i] * y[i];  // sum over j != i
      field = 2.0 * field + b[i] + (spins ? 0.0 : Ji[i]);
      if (spins) {  // log p(s_i | rest) = s_i a - log(2 cosh a)
        const double t = std::abs(field);
        pl += y[i] * field - (t + std::log1p(std::exp(-2.0 * t)));
        R[size_t(r * D + i)] = y[i] - std::tanh(field);
      } else {
        pl += y[i] * field - softplus(field);
        R[size_t(r * D + i)] = y[i] - sigmoid(field);
      }
    }
    row_pl[size_t(r)] = pl;
  }
  const double inv = 1.0 / double(n);
#pragma omp parallel for schedule(dynamic, 4) if (parallel)
  for (int64_t i = 0; i < D; ++i) {
    // Row i of R^T Y + Y^T R, rows r summed in order (the same sums for any thread count).
    double* g = G + i * D;
    std::fill(g, g + D, 0.0);
    double diag = 0.0;
    for (int64_t r = 0; r < n; ++r) {
      const double ri = R[size_t(r * D + i)], yi = value[size_t(r * D + i)];
      const double* yr = value.data() + r * D;
      const double* Rr = R.data() + r * D;
      for (int64_t j = 0; j < D; ++j) g[j] += ri * yr[j] + yi * Rr[j];
      diag += ri;
    }
    g[i] = spins ? 0.0 : diag;  // x_i^2 = x_i: J_ii acts as a bias; spins: s_i^2 = 1, no effect
    for (int64_t j = 0; j < D; ++j) g[j] = g[j] * inv - 2.0 * l2 * J[i * D + j];
    gb[i] = diag * inv - 2.0 * l2_bias * b[i];
  }
  double total = 0.0, pen = 0.0;
  for (int64_t r = 0; r < n; ++r) total += row_pl[size_t(r)];
  for (int64_t k = 0; k < D * D; ++k) pen += J[k] * J[k];
  double pen_b = 0.0;
  for (int64_t i = 0; i < D; ++i) pen_b += b[i] * b[i];
  return total * inv - l2 * pen - l2_bias * pen_b;
}

}  // namespace ttsolve::learn
