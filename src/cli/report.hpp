#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace groundcrew::cli {

/// "<field>: <message>", or `message` alone when `field` is empty or `message` starts with it
/// (as the server's do), so that a path is shown once.
std::string WithField(std::string_view field, std::string_view message);

/// Reports a failed command and returns `exit_code`. Text: "error: " WithField(field, message) on
/// `err`. With `json`: {"error":{"code":"invalid_argument","message":"...","field":"..."}} on
/// `out`, the same shape the service answers with, so scripts read one format.
int ReportError(const Error& error, int exit_code, bool json, std::ostream& out, std::ostream& err);

/// The same with the code as text (the server's codes include some ErrorCode lacks, e.g.
/// "unauthenticated"). With `color`, the text form's "error:" is red.
int ReportError(std::string_view code, std::string_view message, std::string_view field,
                int exit_code, bool json, bool color, std::ostream& out, std::ostream& err);

}  // namespace groundcrew::cli
