#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

// Debian package versions ([epoch:]upstream_version[-debian_revision], deb-version(7)) and their
// ordering, as dpkg orders them: "1.0~rc1" < "1.0" < "1.0-1" < "1.0+b1" < "1:0.9". Pure.
namespace groundcrew::core {

struct DebianVersion {
  unsigned long epoch = 0;
  std::string upstream;  ///< starts with a digit
  std::string revision;  ///< empty when the version has none
};

/// `text` parsed. kInvalidArgument with the reason when it is not a Debian version: an empty
/// version or upstream part, an epoch that is not a number, an upstream part that does not
/// start with a digit, or a character deb-version(7) does not allow (upstream: letters, digits
/// and . + - ~ :, the last two only with a revision or an epoch; revision: letters, digits and
/// . + ~).
[[nodiscard]] Result<DebianVersion> ParseDebianVersion(std::string_view text);

/// dpkg's order: epochs as numbers, then the upstream parts, then the revisions, each compared
/// piecewise: runs of non-digits character by character, where '~' sorts before everything,
/// even the end of the part, and letters before other characters; runs of digits as numbers.
/// Returns <0, 0 or >0.
int CompareDebianVersions(const DebianVersion& a, const DebianVersion& b);

/// CompareDebianVersions on parsed text; a text that does not parse sorts as it would with
/// its invalid characters compared by their codes (as dpkg --compare-versions does with a
/// warning).
int CompareDebianVersions(std::string_view a, std::string_view b);

}  // namespace groundcrew::core
