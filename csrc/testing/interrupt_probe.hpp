// A kernel that does nothing but poll for Ctrl-C: tests the one interruption path
// (Interrupt -> Interrupted -> KeyboardInterrupt) without a long computation.
#pragma once
#include "common/interrupt.hpp"

namespace ttsolve::testing {

/// Polls `intr` from every thread of a parallel region until Ctrl-C (then throws Interrupted)
/// or until max_seconds have passed (then returns false).
bool wait_for_interrupt(Interrupt* intr, double max_seconds);

}  // namespace ttsolve::testing
