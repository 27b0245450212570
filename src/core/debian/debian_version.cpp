#include "core/debian/debian_version.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace groundcrew::core {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A character's weight in a non-digit run; 0 stands for "the run ended here".
int Weight(std::string_view text, size_t at) {
  if (at >= text.size() || IsDigit(text[at])) return 0;
  const char c = text[at];
  if (c == '~') return -1;
  if (IsAlpha(c)) return static_cast<unsigned char>(c);
  return static_cast<unsigned char>(c) + 256;
}

// One part (upstream or revision), piecewise.
int ComparePart(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    // Non-digits, character by character.
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      const int wa = Weight(a, i);
      const int wb = Weight(b, j);
      if (wa != wb) return wa < wb ? -1 : 1;
      ++i;
      ++j;
    }
    // Digits, as numbers of any length: leading zeros skipped, then the longer run is larger,
    // then the first differing digit decides.
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    size_t ei = i;
    size_t ej = j;
    while (ei < a.size() && IsDigit(a[ei])) ++ei;
    while (ej < b.size() && IsDigit(b[ej])) ++ej;
    if (ei - i != ej - j) return ei - i < ej - j ? -1 : 1;
    if (const int c = a.substr(i, ei - i).compare(b.substr(j, ej - j)); c != 0) {
      return c < 0 ? -1 : 1;
    }
    i = ei;
    j = ej;
  }
  return 0;
}

// The parts of `text` without checking them.
DebianVersion Split(std::string_view text) {
  DebianVersion version;
  if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view epoch = text.substr(0, colon);
    std::from_chars(epoch.data(), epoch.data() + epoch.size(), version.epoch);
    text.remove_prefix(colon + 1);
  }
  if (const size_t dash = text.rfind('-'); dash != std::string_view::npos) {
    version.revision = std::string(text.substr(dash + 1));
    text = text.substr(0, dash);
  }
  version.upstream = std::string(text);
  return version;
}

}  // namespace

Result<DebianVersion> ParseDebianVersion(std::string_view text) {
  const auto invalid = [&](std::string reason) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("\"{}\" is not a Debian version: {}", text, reason));
  };
  if (text.empty()) return invalid("it is empty");
  const bool has_epoch = text.find(':') != std::string_view::npos;
  if (has_epoch) {
    const std::string_view epoch = text.substr(0, text.find(':'));
    unsigned long value = 0;
    const auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), value);
    if (epoch.empty() || ec != std::errc() || end != epoch.data() + epoch.size()) {
      return invalid("the epoch (before ':') must be a number");
    }
  }
  DebianVersion version = Split(text);
  const bool has_revision = text.rfind('-') != std::string_view::npos;
  if (version.upstream.empty()) return invalid("the upstream version is empty");
  if (!IsDigit(version.upstream.front()))
    return invalid("the upstream version must start with a digit");
  if (has_revision && version.revision.empty()) return invalid("the revision (after '-') is empty");
  for (const char c : version.upstream) {
    const bool allowed = IsDigit(c) || IsAlpha(c) || c == '.' || c == '+' || c == '~' ||
                         (c == '-' && has_revision) || (c == ':' && has_epoch);
    if (!allowed) return invalid(fmt::format("'{}' is not allowed in the upstream version", c));
  }
  for (const char c : version.revision) {
    if (!(IsDigit(c) || IsAlpha(c) || c == '.' || c == '+' || c == '~')) {
      return invalid(fmt::format("'{}' is not allowed in the revision", c));
    }
  }
  return version;
}

int CompareDebianVersions(const DebianVersion& a, const DebianVersion& b) {
  if (a.epoch != b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (const int c = ComparePart(a.upstream, b.upstream); c != 0) return c;
  return ComparePart(a.revision, b.revision);
}

int CompareDebianVersions(std::string_view a, std::string_view b) {
  return CompareDebianVersions(Split(a), Split(b));
}

}  // namespace groundcrew::core
