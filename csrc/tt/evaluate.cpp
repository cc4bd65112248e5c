// Entries of a tensor train at a batch of multi-indices, parallel over blocks of indices.
// Each entry is computed by the same sequence of operations whatever the thread count.
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "common/parallel.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {
namespace {

/// x(i_1, ..., i_d) as a row vector times matrices: v <- v G_k[:, i_k, :].
double entry(const TensorTrain& x, const int64_t* ix, double* v, double* w) {
  const int64_t d = x.ndim();
  const int64_t r1 = x.ranks[1];
  const double* g0 = x.cores[0].data() + ix[0] * r1;
  std::copy(g0, g0 + r1, v);
  for (int64_t k = 1; k < d; ++k) {
    const int64_t n = x.dims[k], ra = x.ranks[k], rb = x.ranks[k + 1];
    const double* g = x.cores[k].data() + ix[k] * rb;
    std::fill(w, w + rb, 0.0);
    for (int64_t a = 0; a < ra; ++a) {
      const double va = v[a];
      const double* row = g + a * n * rb;
      for (int64_t b = 0; b < rb; ++b) w[b] += va * row[b];
    }
    std::swap(v, w);
  }
  return v[0];
}

}  // namespace

std::vector<double> evaluate(const TensorTrain& x, const int64_t* idx, int64_t K, Interrupt* intr) {
  const int64_t d = x.ndim();
  for (int64_t s = 0; s < K; ++s)
    for (int64_t k = 0; k < d; ++k)
      if (idx[s * d + k] < 0 || idx[s * d + k] >= x.dims[k])
        throw std::out_of_range("idx[" + std::to_string(s) + ", " + std::to_string(k) + "] = " +
                                std::to_string(idx[s * d + k]) + " is out of range for dimension " +
                                std::to_string(x.dims[k]));
  const int64_t rmax = *std::max_element(x.ranks.begin(), x.ranks.end());
  std::vector<double> out(K);
  constexpr int64_t kBlock = 1024;
  const int64_t nblocks = (K + kBlock - 1) / kBlock;
  std::atomic<bool> stop{false};
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(get_num_threads())
#endif
  {
    std::vector<double> v(rmax), w(rmax);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(dynamic)
#endif
    for (int64_t blk = 0; blk < nblocks; ++blk) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (intr && intr->poll()) stop.store(true);
      const int64_t end = std::min(K, (blk + 1) * kBlock);
      for (int64_t s = blk * kBlock; s < end; ++s) out[s] = entry(x, idx + s * d, v.data(), w.data());
    }
  }
  if (stop.load()) throw Interrupted();
  return out;
}

}  // namespace ttsolve::tt
