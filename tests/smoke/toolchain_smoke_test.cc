#include <gtest/gtest.h>
TEST(HostToolchain, IsClang19) { EXPECT_EQ(__clang_major__, 19); }
