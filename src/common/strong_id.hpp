#pragma once

#include <compare>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace groundcrew {

/// A string identifier (a GUID in practice) that does not convert to or from ids of other kinds:
/// a GroupId cannot be passed where an AppId is expected.
template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend bool operator==(const StrongId&, const StrongId&) = default;

 private:
  std::string value_;
};

}  // namespace groundcrew

template <class Tag>
struct std::hash<groundcrew::StrongId<Tag>> {
  size_t operator()(const groundcrew::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
