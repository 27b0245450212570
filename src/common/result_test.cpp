#include "common/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace groundcrew {
namespace {

Status Check(bool ok) {
  if (!ok) return MakeError(ErrorCode::kInvalidArgument, "not ok", "flag");
  return Ok{};
}

Result<int> Number(bool ok) {
  if (!ok) return MakeError(ErrorCode::kNotFound, "no number", "number");
  return 42;
}

Result<std::string> Both(bool check, bool number) {
  GC_RETURN_IF_ERROR(Check(check));
  GC_ASSIGN_OR_RETURN(const int n, Number(number));
  GC_ASSIGN_OR_RETURN(auto again, Number(true));  // two in one scope
  return std::to_string(n + again);
}

TEST(ErrorPropagation, ReturnsTheFirstErrorAndOtherwiseTheValues) {
  EXPECT_EQ(*Both(true, true), "84");
  EXPECT_EQ(Both(false, true).error(), MakeError(ErrorCode::kInvalidArgument, "not ok", "flag"));
  EXPECT_EQ(Both(true, false).error(), MakeError(ErrorCode::kNotFound, "no number", "number"));
}

}  // namespace
}  // namespace groundcrew
