#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

// Shapes shared by every store port.
namespace groundcrew::store {

/// A stored value and its optimistic version: every update names the version it read, and
/// loses (kAborted) when another writer got there first.
template <class T>
struct Versioned {
  T value;
  int64_t version = 0;
};

/// Keyset pagination: items with ids strictly greater than `after`, at most `limit` of them.
struct PageRequest {
  std::string after;
  int limit = 100;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::string next_after;  ///< pass as `after` for the next page; empty on the last page
};

inline constexpr int kMaxPageSize = 1000;

/// Every item of a paged listing, in order: `list(PageRequest)` (returning Result<Page<T>>) page
/// after page of kMaxPageSize until the last. The first error ends it.
template <class T, class List>
Result<std::vector<T>> ReadAllPages(List list) {
  std::vector<T> all;
  PageRequest page{.after = "", .limit = kMaxPageSize};
  for (;;) {
    Result<Page<T>> listed = list(page);
    if (!listed) return listed.error();
    for (T& item : listed->items) all.push_back(std::move(item));
    if (listed->next_after.empty()) return all;
    page.after = listed->next_after;
  }
}

}  // namespace groundcrew::store
