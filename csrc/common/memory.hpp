// Up-front size checks: refuse a request that cannot fit in memory with a MemoryError that
// names what was asked for, instead of a bare std::bad_alloc after (or during) the attempt.
#pragma once
#include <new>
#include <string>

namespace ttsolve {

/// A std::bad_alloc with a message (pybind11 turns it into MemoryError(what())).
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// Bytes a single process may use here: the physical memory, lowered by the address-space
/// and data-segment limits (ulimit -v / -d, RLIMIT_AS / RLIMIT_DATA) when they are set.
double memory_limit_bytes();

/// Throws OutOfMemory("<what> needs N GB, more than the M GB this process may use") when
/// `bytes` exceeds memory_limit_bytes().
void require_memory(double bytes, const std::string& what);

}  // namespace ttsolve
