#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"

// Reading the person at the device on a terminal (the `terminal` UI with stdin a tty): single key
// presses (the technician key) and lines, a secret one without echo. Whatever mode the terminal
// is put in is undone when the TerminalMode ends: on every return path, and also when SIGINT,
// SIGTERM, SIGHUP or SIGQUIT arrive meanwhile.
namespace groundcrew::agent {

class TerminalMode {
 public:
  enum class Kind {
    kKeys,    ///< non-canonical: each key press is read at once, no Enter; not echoed
    kNoEcho,  ///< a line at a time (Enter), not echoed: passwords
  };
  /// Puts the terminal on `fd` in `kind` until the returned object is destroyed. Signals keep
  /// working (Ctrl-C still interrupts); when one of the signals above arrives, the terminal is
  /// restored first and the signal then handled as before (by default it ends the process).
  /// REQUIRES: one TerminalMode at a time in the process, entered and ended on one thread.
  /// kFailedPrecondition when `fd` is not a terminal or its mode cannot be changed.
  static Result<std::unique_ptr<TerminalMode>> Enter(int fd, Kind kind);
  ~TerminalMode();
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;

 private:
  TerminalMode() = default;
};

/// Reads one byte (a key press in kKeys mode) from `fd`; nullopt at end of input or on an error.
/// Ctrl-D in kKeys mode arrives as '\x04': callers treat it as end of input.
std::optional<char> ReadKey(int fd);

/// Reads a line from `fd` up to '\n' (not included), one byte at a time so that nothing after
/// the line is consumed; nullopt at end of input before any byte (or on an error).
std::optional<std::string> ReadLine(int fd);

}  // namespace groundcrew::agent
