// exceptions_test.cc: the x86_64 error-code table against Intel SDM Vol. 3A Table 6-1 and AMD APM Vol. 2.
#include <gtest/gtest.h>

extern "C" {
#include "arch/x86_64/exceptions.h"
}

namespace {

TEST(X86Exceptions, ExactlyTheSdmAndApmVectorsPushAnErrorCode) {
  const uint32_t with_error[] = {8, 10, 11, 12, 13, 14, 17, 21, 29, 30};
  for (uint32_t v = 0; v < X86_EXCEPTION_VECTORS; v++) {
    bool expected = false;
    for (uint32_t e : with_error) expected |= e == v;
    EXPECT_EQ(x86_exception_has_error_code(v), expected) << "vector " << v << " (" << x86_exception_name(v) << ")";
  }
}

// Issue 9 item 4: #VC pushes the exit code as its error code (AMD APM Vol. 2 15.35.5); without it the logged
// frame is shifted by one word.
TEST(X86Exceptions, VmmCommunicationExceptionPushesAnErrorCode) {
  EXPECT_STREQ(x86_exception_name(29), "VC");
  EXPECT_TRUE(x86_exception_has_error_code(29));
}

TEST(X86Exceptions, VectorsOutsideTheTableHaveNoErrorCodeAndAreUnknown) {
  EXPECT_FALSE(x86_exception_has_error_code(32));
  EXPECT_FALSE(x86_exception_has_error_code(0xFFFFFFFFu));
  EXPECT_STREQ(x86_exception_name(32), "unknown");
  EXPECT_STREQ(x86_exception_name(14), "PF");
}

}  // namespace
