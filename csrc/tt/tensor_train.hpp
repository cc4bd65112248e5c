// The tensor-train container shared by all kernels.
//
// Core k has shape (ranks[k], dims[k], ranks[k+1]) and is stored row-major, so the
// element (a, i, b) sits at a * dims[k] * ranks[k+1] + i * ranks[k+1] + b.
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::tt {

struct TensorTrain {
  std::vector<int64_t> dims;                 // mode sizes n_1 .. n_d
  std::vector<int64_t> ranks;                // r_0 .. r_d with r_0 = r_d = 1
  std::vector<std::vector<double>> cores;    // d cores, row-major (r_k, n_k, r_{k+1})

  int64_t ndim() const { return static_cast<int64_t>(dims.size()); }
  int64_t core_size(int64_t k) const { return ranks[k] * dims[k] * ranks[k + 1]; }

  /// Throws std::invalid_argument naming the problem if shapes are inconsistent
  /// or any entry is not finite.
  void validate() const;
  /// The shape checks of validate() alone.
  void validate_shape() const;
  /// The finiteness check of validate() for core k alone.
  void validate_finite(int64_t k) const;
  /// Total number of stored doubles.
  int64_t num_params() const;
};

/// Zero train with the given dims and ranks (ranks has d+1 entries, ends 1).
TensorTrain zeros(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks);

/// Checks dims/ranks (positive, boundary ranks 1, sizes representable).
void check_shape(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks);

}  // namespace ttsolve::tt
