#pragma once

#include <chrono>
#include <functional>
#include <string>

// Time, for the parts that read it: the service's use cases and the device's drivers take a
// Clock, so that a test (or groundcrewd's and the agent's --test-clock) moves time. The core
// never reads a clock; it is given the time as an argument.
namespace groundcrew {

/// Seconds since the Unix epoch, UTC (core::Timestamp is this type).
using Timestamp = std::chrono::sys_seconds;

/// Says what time it is now. Thread-safe when it is called from several threads.
using Clock = std::function<Timestamp()>;

/// The machine's wall clock, to the second.
Clock SystemClock();

/// For tests: the Unix seconds written in the file at `path`, read again on every call (a test
/// moves time by rewriting the file); the wall clock while the file is missing or does not
/// start with a number. SystemClock() when `path` is empty.
Clock FileClock(std::string path);

}  // namespace groundcrew
