#include "pde/gaussian_rows.hpp"

#include "common/parallel.hpp"

namespace ttsolve::pde {

void gaussian_rows(uint64_t seed, uint64_t first_row, int64_t n_rows, int64_t n_cols, double* out,
                   Interrupt* intr) {
  constexpr int64_t kBlock = 8192;  // rows per parallel region (few barriers) and between Ctrl-C polls
  for (int64_t start = 0; start < n_rows; start += kBlock) {
    const int64_t stop = start + kBlock < n_rows ? start + kBlock : n_rows;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
#endif
    for (int64_t r = start; r < stop; ++r) {
      Philox rng(seed, first_row + uint64_t(r));
      fill_normal_row(rng, out + r * n_cols, n_cols);
    }
    check_interrupt(intr);
  }
}

}  // namespace ttsolve::pde
