#include "server/store/device_query.hpp"

#include <fmt/format.h>

#include <charconv>

namespace groundcrew::store {
namespace {

constexpr char kSeparator = '\x1f';
constexpr std::string_view kVersion = "d1";

Error BadCursor(std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("after: {}; pass the nextAfter of the previous page with the same "
                               "orderBy, or leave after out to start from the first page",
                               why),
                   "after");
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (ec != std::errc() || end != text.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(value));
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(kSeparator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::string_view ToString(DeviceOrder order) {
  switch (order) {
    case DeviceOrder::kSerialNumber:
      return "serialNumber";
    case DeviceOrder::kDeviceName:
      return "deviceName";
    case DeviceOrder::kLastDeploymentDateTime:
      return "lastDeploymentDateTime";
  }
  return "serialNumber";
}

std::optional<DeviceOrder> ParseDeviceOrder(std::string_view text) {
  for (DeviceOrder order : {DeviceOrder::kSerialNumber, DeviceOrder::kDeviceName,
                            DeviceOrder::kLastDeploymentDateTime}) {
    if (ToString(order) == text) return order;
  }
  return std::nullopt;
}

std::string EncodeDeviceCursor(const DeviceQuery& query, const DeviceRow& row) {
  const core::AutopilotDeviceIdentity& d = row.device.value;
  std::string key;
  switch (query.order_by) {
    case DeviceOrder::kSerialNumber:
      key = d.serial_number;
      break;
    case DeviceOrder::kDeviceName:
      key = d.display_name;
      break;
    case DeviceOrder::kLastDeploymentDateTime:
      key = std::to_string(row.summary.last_deployment_date_time
                               ? row.summary.last_deployment_date_time->time_since_epoch().count()
                               : 0);
      break;
  }
  const std::string plain =
      fmt::format("{}{}{}{}{}{}{}{}{}", kVersion, kSeparator, ToString(query.order_by), kSeparator,
                  query.descending ? "desc" : "asc", kSeparator, key, kSeparator, d.id.value());
  return Hex(plain);
}

Result<DeviceCursor> DecodeDeviceCursor(const DeviceQuery& query) {
  DeviceCursor cursor;
  cursor.order_by = query.order_by;
  cursor.descending = query.descending;
  std::optional<std::string> plain = Unhex(query.after);
  if (!plain) return BadCursor(fmt::format("\"{}\" is not a page cursor", query.after));
  const std::vector<std::string_view> parts = Split(*plain);
  if (parts.size() != 5 || parts[0] != kVersion) {
    return BadCursor(fmt::format("\"{}\" is not a page cursor", query.after));
  }
  const std::string order =
      fmt::format("{}{}", ToString(query.order_by), query.descending ? " desc" : "");
  if (parts[1] != ToString(query.order_by) || parts[2] != (query.descending ? "desc" : "asc")) {
    return BadCursor(fmt::format("the cursor was given for orderBy={}{}, not {}", parts[1],
                                 parts[2] == "desc" ? " desc" : "", order));
  }
  if (query.order_by == DeviceOrder::kLastDeploymentDateTime) {
    auto [end, ec] =
        std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), cursor.time_key);
    if (ec != std::errc() || end != parts[3].data() + parts[3].size()) {
      return BadCursor(fmt::format("\"{}\" is not a page cursor", query.after));
    }
  } else {
    cursor.text_key = std::string(parts[3]);
  }
  cursor.id = std::string(parts[4]);
  return cursor;
}

Status CheckDeviceQueryLimit(const DeviceQuery& query) {
  if (query.limit >= 1 && query.limit <= kMaxDeviceQueryPage) return Ok{};
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("top: must be a whole number from 1 to {}, not {}",
                               kMaxDeviceQueryPage, query.limit),
                   "top");
}

}  // namespace groundcrew::store
