// Reusable per-thread work buffers for the ALS kernels: their large per-call buffers would
// otherwise be fresh mmap allocations that page-fault on every call (a sizeable share of a
// millisecond-scale Gram assembly).
#pragma once
#include <cstddef>
#include <vector>

namespace ttsolve::regression {

/// `n` doubles of scratch memory in slot `slot` (< 8) of the calling thread, contents
/// unspecified. Buffers up to 64 MiB are kept for the thread's next call; larger ones are
/// owned by this object and freed with it.
class Scratch {
 public:
  Scratch(int slot, std::size_t n) {
    thread_local std::vector<double> kept[8];
    if (n * sizeof(double) > (std::size_t(64) << 20)) {
      own_.resize(n);
      data_ = own_.data();
      return;
    }
    if (kept[slot].size() < n) kept[slot].resize(n);
    data_ = kept[slot].data();
  }
  double* data() const { return data_; }
  double& operator[](std::size_t i) const { return data_[i]; }

 private:
  std::vector<double> own_;
  double* data_ = nullptr;
};

}  // namespace ttsolve::regression
