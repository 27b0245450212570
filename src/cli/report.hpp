#pragma once

#include <iosfwd>

#include "common/result.hpp"

namespace groundcrew::cli {

/// Reports a failed command and returns `exit_code`. Text: "error: <field>: <message>" on `err`.
/// With `json`: {"error":{"code":"invalid_argument","message":"...","field":"..."}} on `out`, the
/// same shape the service answers with, so scripts read one format.
int ReportError(const Error& error, int exit_code, bool json, std::ostream& out, std::ostream& err);

}  // namespace groundcrew::cli
