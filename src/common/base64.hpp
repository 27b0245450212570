#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace groundcrew::base64 {

/// Standard alphabet (RFC 4648 §4) with '=' padding.
std::string Encode(std::string_view bytes);

/// Strict decoding of padded standard base64: the length must be a multiple of 4, '=' may appear
/// only at the end and at most twice, and the bits a padded final group leaves over must be zero.
/// Errors (kInvalidArgument) say which character position is wrong and why.
Result<std::string> Decode(std::string_view text);

}  // namespace groundcrew::base64
