#include "scenario_values.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>

#include "common/text.hpp"

namespace groundcrew::core::scenarios {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kDefaultStart =
    Timestamp{std::chrono::sys_days{std::chrono::year{2024} / std::chrono::May / 1}} + hours{8};

Error Bad(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<bool> ParseBool(std::string_view v) {
  if (v == "yes" || v == "true" || v == "on") return true;
  if (v == "no" || v == "false" || v == "off") return false;
  return Bad(fmt::format("expected yes or no, got \"{}\"", v));
}

Result<long long> ParseInt(std::string_view v) {
  long long n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return Bad(fmt::format("expected a number, got \"{}\"", v));
  }
  return n;
}

// A decimal exit code or a 0x HRESULT.
Result<std::int64_t> ParseCode(std::string_view v) {
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), n, 16);
    if (ec != std::errc() || end != v.data() + v.size()) {
      return Bad(fmt::format("expected a code, got \"{}\"", v));
    }
    return static_cast<std::int64_t>(n);
  }
  Result<long long> n = ParseInt(v);
  if (!n) return n.error();
  return static_cast<std::int64_t>(*n);
}

// "+61m", "1h30m", "90s", "2d".
Result<seconds> ParseDuration(std::string_view v) {
  const std::string original(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  if (v.empty()) return Bad("empty duration");
  seconds total{0};
  while (!v.empty()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end == v.data() + v.size()) {
      return Bad(fmt::format("expected a duration like 61m or 1h30m, got \"{}\"", original));
    }
    const char unit = *end;
    v.remove_prefix(static_cast<size_t>(end - v.data()) + 1);
    switch (unit) {
      case 's':
        total += seconds{n};
        break;
      case 'm':
        total += minutes{n};
        break;
      case 'h':
        total += hours{n};
        break;
      case 'd':
        total += hours{24 * n};
        break;
      default:
        return Bad(fmt::format("unknown duration unit in \"{}\"", original));
    }
  }
  return total;
}

std::string FormatDuration(seconds d) {
  if (d.count() % 60 != 0) return fmt::format("{}s", d.count());
  return fmt::format("{}m", d.count() / 60);
}

// "2024-05-01" or "2024-05-01T10:00:00Z".
Result<Timestamp> ParseTime(std::string_view v) {
  const std::string s(v);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  const int n = std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec);
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if ((n != 3 && n < 5) || !ymd.ok()) return Bad(fmt::format("expected a time, got \"{}\"", v));
  return Timestamp{std::chrono::sys_days{ymd}} + hours{h} + minutes{mi} + seconds{sec};
}

std::vector<std::string> SplitList(std::string_view v) {
  std::vector<std::string> items;
  if (v.empty() || v == "none") return items;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string_view::npos) comma = v.size();
    items.emplace_back(text::Trim(v.substr(start, comma - start)));
    start = comma + 1;
  }
  return items;
}

std::string JoinOrNone(const std::vector<std::string>& items) {
  return items.empty() ? "none" : fmt::format("{}", fmt::join(items, ","));
}

Result<EspPhase> ParsePhase(std::string_view v) {
  for (EspPhase phase :
       {EspPhase::kDevicePreparation, EspPhase::kDeviceSetup, EspPhase::kAccountSetup}) {
    if (ToString(phase) == v) return phase;
  }
  return Bad(fmt::format("unknown phase \"{}\"", v));
}

Result<PreparationStep> ParseStep(std::string_view v) {
  for (PreparationStep step : kPreparationSteps) {
    if (ToString(step) == v) return step;
  }
  return Bad(fmt::format("unknown Device-preparation step \"{}\"", v));
}

Result<RebootKind> ParseReboot(std::string_view v) {
  for (RebootKind kind : {RebootKind::kNone, RebootKind::kSoft, RebootKind::kHard}) {
    if (ToString(kind) == v) return kind;
  }
  return Bad(fmt::format("unknown reboot kind \"{}\"", v));
}

Result<AssignmentTarget> ParseTarget(std::string_view v) {
  if (v == "all-devices") return AssignmentTarget{TargetKind::kAllDevices, {}};
  if (v == "all-users") return AssignmentTarget{TargetKind::kAllLicensedUsers, {}};
  if (v.starts_with("group:")) {
    return AssignmentTarget{TargetKind::kGroup, GroupId{std::string(v.substr(6))}};
  }
  if (v.starts_with("exclude:")) {
    return AssignmentTarget{TargetKind::kExclusionGroup, GroupId{std::string(v.substr(8))}};
  }
  return Bad(
      fmt::format("unknown target \"{}\" (group:<id>, exclude:<id>, all-devices, "
                  "all-users)",
                  v));
}

}  // namespace groundcrew::core::scenarios
