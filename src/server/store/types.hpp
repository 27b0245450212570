#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace groundcrew::store
