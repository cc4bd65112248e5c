#include "common/parallel.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ttsolve {
namespace {
int initial_threads() {
#ifdef TTSOLVE_HAVE_OPENMP
  return omp_get_max_threads();  // honours OMP_NUM_THREADS
#else
  return 1;
#endif
}
int g_threads = initial_threads();
}  // namespace

int get_num_threads() { return g_threads; }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1");
#ifdef TTSOLVE_HAVE_OPENMP
  omp_set_num_threads(n);
  g_threads = n;
#else
  g_threads = 1;
#endif
}

}  // namespace ttsolve
