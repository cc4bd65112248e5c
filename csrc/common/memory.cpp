#include "common/memory.hpp"

#include <algorithm>
#include <cstdio>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace ttsolve {

double memory_limit_bytes() {
  double limit = 1e300;
#if defined(__unix__) || defined(__APPLE__)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) limit = double(pages) * double(page);
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit rl;
    if (getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) limit = std::min(limit, double(rl.rlim_cur));
  }
#endif
  return limit;
}

void require_memory(double bytes, const std::string& what) {
  const double limit = memory_limit_bytes();
  if (bytes <= limit) return;
  char buf[160];
  std::snprintf(buf, sizeof buf, " needs %.3g GB, more than the %.3g GB this process may use", bytes / 1e9,
                limit / 1e9);
  throw OutOfMemory(what + buf);
}

}  // namespace ttsolve
