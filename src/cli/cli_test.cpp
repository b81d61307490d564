// The binary's contract: exit status and message for usage errors, --help, --version.
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::run_nnseg;

TEST(Cli, NoCommandIsUsageError) {
  auto r = run_nnseg({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error:"), std::string::npos);
}

TEST(Cli, UnknownCommandIsUsageError) {
  auto r = run_nnseg({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos);
}

TEST(Cli, HelpAndVersionExitZero) {
  EXPECT_EQ(run_nnseg({"--help"}).exit_code, 0);
  auto v = run_nnseg({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("nnseg"), std::string::npos);
}

}  // namespace
}  // namespace nnseg
