#pragma once

#include <sstream>

#include "cli/remote_commands.hpp"

// For the CLI's tests: a Console whose output and errors are kept in strings (no colour, not a
// terminal).
namespace groundcrew::cli {

struct Captured {
  std::ostringstream out, err;
  Console console{out, err, Style{}, Style{}, false};
};

}  // namespace groundcrew::cli
