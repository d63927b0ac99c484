// test_files.h: test-only readers of the platform tests' data files, which Bazel hands over as runfiles (a test's
// working directory is the runfiles root): the DTBs compiled from platform/testdata/*.dts (//platform:test_dtbs)
// and QEMU's own tables and blobs under platform/testdata/qemu (//platform:qemu_tables). Shared by the readers'
// tests in platform/ and by boot/serial_console_test.cc; the test lists the filegroup it reads in its `data`.
#ifndef PLATFORM_TEST_FILES_H
#define PLATFORM_TEST_FILES_H

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace platform_testing {

// The bytes of `path` (relative to the runfiles root). A file that cannot be read fails the current test, naming
// the path, and gives an empty vector.
inline std::vector<uint8_t> ReadRunfile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path << " (cwd must be the runfiles root)";
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// platform/testdata/<name>.dtb, compiled by dtc from <name>.dts at build time (//platform:test_dtbs).
inline std::vector<uint8_t> ReadDtb(const std::string &name) {
  return ReadRunfile("platform/testdata/" + name + ".dtb");
}

// platform/testdata/qemu/<path>, captured from QEMU boots (//platform:qemu_tables, testdata/qemu/README.md).
inline std::vector<uint8_t> ReadQemuFile(const std::string &path) {
  return ReadRunfile("platform/testdata/qemu/" + path);
}

}  // namespace platform_testing

#endif  // PLATFORM_TEST_FILES_H
