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

constexpr int64_t kBlock = 256;  // indices per block: the block's row vectors stay in L2

/// Entries for indices [begin, end): core by core over the whole block, so each core is
/// read once per block instead of once per index. V and W hold one row vector per index
/// (row s at s * rmax); v_s <- v_s G_k[:, i_k(s), :].
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(__clang__)
// Runtime dispatch (ifunc) to an AVX2 clone where the CPU has it: portable build, no -march.
__attribute__((target_clones("avx2", "default")))
#endif
void evaluate_block(const TensorTrain& x, const int64_t* idx, int64_t begin, int64_t end, int64_t rmax,
                    std::vector<double>& V, std::vector<double>& W, double* out) {
  const int64_t d = x.ndim(), B = end - begin;
  const int64_t r1 = x.ranks[1];
  for (int64_t s = 0; s < B; ++s) {
    const double* g0 = x.cores[0].data() + idx[(begin + s) * d] * r1;
    std::copy(g0, g0 + r1, V.data() + s * rmax);
  }
  for (int64_t k = 1; k < d; ++k) {
    const int64_t n = x.dims[k], ra = x.ranks[k], rb = x.ranks[k + 1];
    const double* core = x.cores[k].data();
    for (int64_t s = 0; s < B; ++s) {
      const double* g = core + idx[(begin + s) * d + k] * rb;
      const double* v = V.data() + s * rmax;
      double* w = W.data() + s * rmax;
      std::fill(w, w + rb, 0.0);
      for (int64_t a = 0; a < ra; ++a) {
        const double va = v[a];
        const double* row = g + a * n * rb;
        for (int64_t b = 0; b < rb; ++b) w[b] += va * row[b];
      }
    }
    V.swap(W);
  }
  for (int64_t s = 0; s < B; ++s) out[begin + s] = V[s * rmax];
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
  const int64_t nblocks = (K + kBlock - 1) / kBlock;
  std::atomic<bool> stop{false};
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(get_num_threads())
#endif
  {
    std::vector<double> V(kBlock * rmax), W(kBlock * rmax);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(dynamic)
#endif
    for (int64_t blk = 0; blk < nblocks; ++blk) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (intr && intr->poll()) stop.store(true);
      evaluate_block(x, idx, blk * kBlock, std::min(K, (blk + 1) * kBlock), rmax, V, W, out.data());
    }
  }
  if (stop.load()) throw Interrupted();
  return out;
}

}  // namespace ttsolve::tt
