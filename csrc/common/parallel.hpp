// OpenMP helpers that also compile without OpenMP.
#pragma once
#include <cstdint>

#ifdef TTSOLVE_HAVE_OPENMP
#include <omp.h>
#endif

namespace ttsolve {

inline bool have_openmp() {
#ifdef TTSOLVE_HAVE_OPENMP
  return true;
#else
  return false;
#endif
}

/// Threads our parallel regions use.
int get_num_threads();
/// Set the threads our parallel regions use (1 <= n <= max_num_threads(), else
/// std::invalid_argument).
void set_num_threads(int n);
/// The cap on set_num_threads: 4 x the hardware threads.
int max_num_threads();

inline int thread_id() {
#ifdef TTSOLVE_HAVE_OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace ttsolve
