#pragma once

#include <cstdint>

namespace groundcrew::store::sqlite {

/// How often and how long threads waited for a database connection since the store was
/// opened: for the writer (held by another thread's write) and for a reader (all in use).
/// Exposed in /metrics so an operator sees contention.
struct PoolWaits {
  std::uint64_t writer_waits = 0;
  double writer_wait_seconds = 0;
  std::uint64_t reader_waits = 0;
  double reader_wait_seconds = 0;
};

}  // namespace groundcrew::store::sqlite
