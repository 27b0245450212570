#include "core/debian/package_name.hpp"

#include <fmt/format.h>

namespace groundcrew::core {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Status CheckDebianPackageName(std::string_view name) {
  const auto invalid = [](std::string message) {
    return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (name.size() < 2) return invalid("a package name has at least two characters");
  if (!IsLowerAlnum(name.front())) {
    return invalid("a package name starts with a lower-case letter or a digit");
  }
  for (const char c : name) {
    if (!IsLowerAlnum(c) && c != '+' && c != '-' && c != '.') {
      return invalid(fmt::format(
          "'{}' is not allowed in a package name (lower-case letters, digits, + - . only)",
          c < 0x20 || c > 0x7e ? '?' : c));
    }
  }
  return Ok{};
}

}  // namespace groundcrew::core
