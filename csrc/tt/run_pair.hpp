// Runs two independent pieces of work on two threads when ttsolve may use two, else one
// after the other. The work must not depend on which happens: results are identical.
#pragma once
#include <exception>

#include "common/parallel.hpp"

namespace ttsolve::tt {

template <class F, class G>
void run_pair(F&& f, G&& g) {
  // Callers hold a la::BlasSingleThreadScope: both pieces then do the same arithmetic on
  // one thread each, and BLAS's own threads do not compete with ours for the cores.
  std::exception_ptr errors[2];
  auto guarded = [&errors](int i, auto& work) {
    try {
      work();
    } catch (...) {
      errors[i] = std::current_exception();  // exceptions must not leave an OpenMP region
    }
  };
#ifdef TTSOLVE_HAVE_OPENMP
  if (get_num_threads() >= 2) {
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
      guarded(0, f);
#pragma omp section
      guarded(1, g);
    }
  } else
#endif
  {
    guarded(0, f);
    guarded(1, g);
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace ttsolve::tt
