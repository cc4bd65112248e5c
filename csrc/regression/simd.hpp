// Run-time choice of the regression kernels' AVX2/FMA versions: the build stays portable (no
// -march); each kernel with such a version is compiled for that target alone and used when
// the CPU has AVX2 and FMA, else its BLAS-based path runs.
#pragma once

namespace ttsolve::regression {

/// True if the AVX2/FMA kernels are available on this CPU and not disabled.
bool simd_enabled();

/// Test hook: disable (or re-enable, where the CPU has them) the AVX2/FMA kernels, so both
/// paths can be compared on one machine.
void set_simd_enabled(bool enabled);

}  // namespace ttsolve::regression
