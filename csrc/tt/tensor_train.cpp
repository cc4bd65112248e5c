#include "tt/tensor_train.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/float_bits.hpp"
#include "common/memory.hpp"

namespace ttsolve::tt {

void check_shape(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks) {
  if (dims.empty()) throw std::invalid_argument("a tensor train needs at least one core (dims is empty)");
  if (ranks.size() != dims.size() + 1)
    throw std::invalid_argument("ranks must have len(dims) + 1 = " + std::to_string(dims.size() + 1) +
                                " entries, got " + std::to_string(ranks.size()));
  if (ranks.front() != 1 || ranks.back() != 1)
    throw std::invalid_argument("boundary ranks must be 1, got r_0 = " + std::to_string(ranks.front()) +
                                " and r_d = " + std::to_string(ranks.back()));
  for (size_t k = 0; k < dims.size(); ++k)
    if (dims[k] < 1)
      throw std::invalid_argument("dims[" + std::to_string(k) + "] = " + std::to_string(dims[k]) +
                                  " must be >= 1");
  for (size_t k = 0; k < ranks.size(); ++k)
    if (ranks[k] < 1)
      throw std::invalid_argument("ranks[" + std::to_string(k) + "] = " + std::to_string(ranks[k]) +
                                  " must be >= 1");
  // Every train is allocated through here: refuse one that cannot fit in memory (MemoryError
  // naming the shape and the size) before touching a byte of it. Doubles carry the sizes:
  // products of int64s could overflow.
  double entries = 0.0;
  for (size_t k = 0; k < dims.size(); ++k) entries += double(ranks[k]) * double(dims[k]) * double(ranks[k + 1]);
  if (entries * sizeof(double) > memory_limit_bytes()) {
    std::string shape = "a tensor train with dims (";
    for (size_t k = 0; k < dims.size() && k < 8; ++k) shape += (k ? ", " : "") + std::to_string(dims[k]);
    shape += dims.size() > 8 ? ", ...) and ranks up to " : ") and ranks up to ";
    shape += std::to_string(*std::max_element(ranks.begin(), ranks.end()));
    require_memory(entries * sizeof(double), shape + " (" + std::to_string(static_cast<long long>(entries)) +
                                                 " float64 entries)");
  }
}

void TensorTrain::validate() const {
  validate_shape();
  for (int64_t k = 0; k < ndim(); ++k) validate_finite(k);
}

void TensorTrain::validate_shape() const {
  check_shape(dims, ranks);
  if (cores.size() != dims.size())
    throw std::invalid_argument("expected " + std::to_string(dims.size()) + " cores, got " +
                                std::to_string(cores.size()));
  for (size_t k = 0; k < cores.size(); ++k)
    if (static_cast<int64_t>(cores[k].size()) != core_size(k))
      throw std::invalid_argument("core " + std::to_string(k) + " has the wrong number of entries");
}

void TensorTrain::validate_finite(int64_t k) const {
  uint32_t bad = 0;  // branch-free, so the scan vectorises
  for (double v : cores[k]) bad |= nonfinite_flag(double_bits(v));
  if (bad) throw std::invalid_argument("core " + std::to_string(k) + " contains NaN or inf");
}

int64_t TensorTrain::num_params() const {
  int64_t n = 0;
  for (const auto& c : cores) n += static_cast<int64_t>(c.size());
  return n;
}

TensorTrain zeros(const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks) {
  check_shape(dims, ranks);
  TensorTrain t;
  t.dims = dims;
  t.ranks = ranks;
  t.cores.resize(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) t.cores[k].assign(t.core_size(k), 0.0);
  return t;
}

}  // namespace ttsolve::tt
