// exit_state.h (aarch64): what trap.c needs to know about exit.c, private to this package.
#ifndef ARCH_AARCH64_EXIT_STATE_H
#define ARCH_AARCH64_EXIT_STATE_H

#include <stdbool.h>

// True once arch_exit has started: an exception from then on is a step of the exit path failing (e.g. the
// semihosting HLT without semihosting), not a kernel fault, so the vectors print no panic line and only call
// arch_exit again, which moves on to its next step.
bool aarch64_exit_in_progress(void);

#endif  // ARCH_AARCH64_EXIT_STATE_H
