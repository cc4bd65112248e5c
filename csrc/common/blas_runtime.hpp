// Run-time control of the BLAS library scipy loaded: its name/configuration and its
// own thread pool (kept at one thread while our OpenMP regions call it).
#pragma once
#include <string>

namespace ttsolve::la {

/// Short description of the BLAS in use, e.g. "scipy-openblas 0.3.30 (Haswell) ...".
std::string blas_description();
/// Threads the BLAS uses on its own (-1 if unknown).
int blas_get_num_threads();
/// Set the BLAS library's own thread count (no-op if it cannot be controlled).
void blas_set_num_threads(int n);

/// Keeps BLAS single-threaded for the scope: use around OpenMP regions that call BLAS
/// from several threads, so the two thread pools do not oversubscribe the cores.
class BlasSingleThreadScope {
 public:
  BlasSingleThreadScope();
  ~BlasSingleThreadScope();
  BlasSingleThreadScope(const BlasSingleThreadScope&) = delete;
  BlasSingleThreadScope& operator=(const BlasSingleThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace ttsolve::la
