#pragma once

#include <string>

#include "common/result.hpp"

namespace groundcrew::cli {

/// The whole content of `path`. kNotFound / kUnavailable errors carry the path as `field` and
/// the system's reason as the message.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace groundcrew::cli
