#include "common/blas_runtime.hpp"

#include <cstring>
#include <mutex>

#if defined(__linux__)
#include <dlfcn.h>
#include <link.h>
#endif

namespace ttsolve::la {
namespace {

struct OpenBlasHandles {
  void (*set_threads)(int) = nullptr;
  int (*get_threads)() = nullptr;
  char* (*get_config)() = nullptr;
  char* (*get_corename)() = nullptr;
  std::string library;
};

#if defined(__linux__)
int find_scipy_openblas(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  const char* name = info->dlpi_name;
  // scipy's 32-bit-integer OpenBLAS (numpy's is the ILP64 "openblas64_" build).
  if (name && std::strstr(name, "scipy_openblas") && !std::strstr(name, "openblas64")) {
    *out = name;
    return 1;
  }
  return 0;
}
#endif

const OpenBlasHandles& handles() {
  static OpenBlasHandles h;
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__linux__)
    std::string path;
    dl_iterate_phdr(find_scipy_openblas, &path);
    if (path.empty()) return;
    void* lib = dlopen(path.c_str(), RTLD_NOLOAD | RTLD_LAZY);
    if (!lib) return;
    h.library = path;
    h.set_threads = reinterpret_cast<void (*)(int)>(dlsym(lib, "scipy_openblas_set_num_threads"));
    h.get_threads = reinterpret_cast<int (*)()>(dlsym(lib, "scipy_openblas_get_num_threads"));
    h.get_config = reinterpret_cast<char* (*)()>(dlsym(lib, "scipy_openblas_get_config"));
    h.get_corename = reinterpret_cast<char* (*)()>(dlsym(lib, "scipy_openblas_get_corename"));
#endif
  });
  return h;
}

}  // namespace

std::string blas_description() {
  const auto& h = handles();
  if (h.library.empty()) return "scipy.linalg.cython_blas/cython_lapack (library not identified)";
  std::string s = "scipy-openblas via scipy.linalg.cython_blas/cython_lapack";
  if (h.get_config) s += "; " + std::string(h.get_config());
  if (h.get_corename) s += "; core " + std::string(h.get_corename());
  s += "; " + h.library;
  return s;
}

int blas_get_num_threads() {
  const auto& h = handles();
  return h.get_threads ? h.get_threads() : -1;
}

void blas_set_num_threads(int n) {
  const auto& h = handles();
  if (h.set_threads && n > 0) h.set_threads(n);
}

BlasSingleThreadScope::BlasSingleThreadScope() : saved_(blas_get_num_threads()) {
  if (saved_ > 1) blas_set_num_threads(1);
}

BlasSingleThreadScope::~BlasSingleThreadScope() {
  if (saved_ > 1) blas_set_num_threads(saved_);
}

}  // namespace ttsolve::la
