#include "common/parallel.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace ttsolve {
namespace {
int initial_threads() {
#ifdef TTSOLVE_HAVE_OPENMP
  return std::min(omp_get_max_threads(), max_num_threads());  // honours OMP_NUM_THREADS, capped
#else
  return 1;
#endif
}
int g_threads = initial_threads();
}  // namespace

int max_num_threads() {
  // More threads than 4 per core only adds scheduling overhead (the kernels are compute
  // bound), and thousands exhaust libgomp's stacks and abort the process.
  const unsigned cores = std::thread::hardware_concurrency();
  return 4 * static_cast<int>(std::max(1u, cores));
}

int get_num_threads() { return g_threads; }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  if (n > max_num_threads())
    throw std::invalid_argument("num_threads must be <= " + std::to_string(max_num_threads()) +
                                " (4 per core), got " + std::to_string(n));
#ifdef TTSOLVE_HAVE_OPENMP
  omp_set_num_threads(n);
  g_threads = n;
#else
  g_threads = 1;
#endif
}

}  // namespace ttsolve
