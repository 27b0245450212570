#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/types.hpp"

// What the SQL adapters' ports share: argument checks, cursors, and how times are stored.
namespace groundcrew::store {

/// kInvalidArgument (field "limit") unless 1 <= page.limit <= kMaxPageSize.
[[nodiscard]] Status CheckLimit(const PageRequest& page);

/// A sequence cursor: "" is 0 (from the start), otherwise decimal digits of a non-negative
/// int64. kInvalidArgument (field "after") for anything else.
[[nodiscard]] Result<int64_t> ParseSequenceCursor(std::string_view after);

/// Reads one page of rows from `list`, an adapter's statement (Step() gives Result<bool>) that was
/// asked for `limit` + 1 rows (the extra row only tells whether another page follows): each row
/// through `read(statement)`, and, when more rows follow, `next_after` = `cursor(last item)`.
template <class T, class Statement, class Read, class Cursor>
Result<Page<T>> ReadPage(Statement& list, int limit, Read&& read, Cursor&& cursor) {
  Page<T> page;
  for (;;) {
    Result<bool> row = list.Step();
    if (!row) return row.error();
    if (!*row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after = cursor(page.items.back());
      break;
    }
    page.items.push_back(read(list));
  }
  return page;
}

/// Sign-in failure times (UserCredential::recent_failures and the like) as comma-separated Unix
/// seconds ("" for none), and back (kInternal when the stored text is damaged).
std::string JoinTimes(const std::vector<core::Timestamp>& times);
[[nodiscard]] Result<std::vector<core::Timestamp>> SplitTimes(std::string_view text);

/// Timestamps are stored as Unix seconds; NULL for an unset optional.
inline int64_t Seconds(core::Timestamp t) { return t.time_since_epoch().count(); }
inline std::optional<int64_t> Seconds(const std::optional<core::Timestamp>& t) {
  if (!t) return std::nullopt;
  return Seconds(*t);
}
}  // namespace groundcrew::store
