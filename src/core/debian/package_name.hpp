#pragma once

#include <string_view>

#include "common/result.hpp"

// Debian package names (Debian Policy §5.6.1). Pure.
namespace groundcrew::core {

/// Ok when `name` is a Debian package name: at least two characters, lower-case letters, digits
/// and + - . only, starting with a letter or a digit. kInvalidArgument with the reason otherwise.
[[nodiscard]] Status CheckDebianPackageName(std::string_view name);

}  // namespace groundcrew::core
