#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace groundcrew::cli {

/// A plain-text table with a header row; columns are padded to the widest cell (by UTF-8 code
/// points, ignoring ANSI colour sequences), two spaces apart. The last column is not
/// padded and lines carry no trailing spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace groundcrew::cli
