#include "pde/gaussian_rows.hpp"

#include <cmath>

#include "common/parallel.hpp"
#include "common/rng.hpp"

namespace ttsolve::pde {
namespace {

// Marsaglia's polar method on 32-bit uniforms: one log and one sqrt per pair of normals and
// about 1.3 Philox words per normal, against log, sqrt, sin, cos and two words for Box-Muller
// with 53-bit uniforms (Philox::normal). The resolution 2^-31 of u and v is ample for Monte
// Carlo averages (the largest possible |z| is about 9).
void fill_row(Philox& rng, double* row, int64_t n) {
  constexpr double kScale = 0x1.0p-31;
  int64_t c = 0;
  while (c < n) {
    const double u = (double(rng.next_u32()) + 0.5) * kScale - 1.0;
    const double v = (double(rng.next_u32()) + 0.5) * kScale - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    row[c++] = u * f;
    if (c < n) row[c++] = v * f;
  }
}

}  // namespace

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
      fill_row(rng, out + r * n_cols, n_cols);
    }
    check_interrupt(intr);
  }
}

}  // namespace ttsolve::pde
