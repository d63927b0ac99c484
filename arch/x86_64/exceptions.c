// exceptions.c (x86_64): the exception vector table of exceptions.h.
#include "arch/x86_64/exceptions.h"

// Bit n set: vector n pushes an error code (see exceptions.h for the sources).
#define X86_ERROR_CODE_VECTORS                                                                                         \
  ((1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 17) | (1u << 21) | (1u << 29) | \
   (1u << 30))

bool x86_exception_has_error_code(uint32_t vector) {
  return vector < X86_EXCEPTION_VECTORS && ((X86_ERROR_CODE_VECTORS >> vector) & 1u) != 0;
}

// clang-format off: a table, laid out by hand
static const char *const kVectorNames[X86_EXCEPTION_VECTORS] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP", "PF", "reserved",
    "MF", "AC", "MC", "XM", "VE", "CP", "reserved", "reserved", "reserved", "reserved", "reserved",
    "reserved", "HV", "VC", "SX", "reserved"};
// clang-format on

const char *x86_exception_name(uint32_t vector) {
  return vector < X86_EXCEPTION_VECTORS ? kVectorNames[vector] : "unknown";
}
