#include "server/daemon/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace groundcrew::daemon {

void JsonLog::Write(Level level, std::string_view message, boost::json::object fields) {
  if (!Enabled(level)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  boost::json::object line;
  line["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
  line["level"] = kNames[static_cast<int>(level)];
  line["msg"] = message;
  for (auto& field : fields) line[field.key()] = std::move(field.value());
  // Numbers as people read them: Boost.JSON writes 0.27 as 2.7E-1; fmt's shortest form is 0.27.
  std::string text = "{";
  for (const auto& field : line) {
    if (text.size() > 1) text += ',';
    text += boost::json::serialize(boost::json::string(field.key()));
    text += ':';
    const boost::json::value& value = field.value();
    text += value.is_double() && std::isfinite(value.as_double())
                ? fmt::format("{}", value.as_double())
                : boost::json::serialize(value);
  }
  text += "}\n";
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace groundcrew::daemon
