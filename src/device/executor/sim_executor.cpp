#include "device/executor/sim_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include "identity/sha256.hpp"

namespace groundcrew::executor {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kToken = "sim:";
constexpr int kProgressSteps = 10;

Error BadSetting(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("sim: {}", message), "description");
}

Result<double> ParseNumber(std::string_view key, std::string_view value) {
  double number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || value.empty() || !std::isfinite(number)) {
    return BadSetting(fmt::format("{}=\"{}\" is not a number", key, value));
  }
  if (end != value.data() + value.size()) {
    return BadSetting(fmt::format("{}=\"{}\" has trailing characters", key, value));
  }
  return number;
}

Result<double> ParseFraction(std::string_view key, std::string_view value) {
  Result<double> number = ParseNumber(key, value);
  if (!number) return number;
  if (*number < 0 || *number > 1) {
    return BadSetting(fmt::format("{}={} must be from 0 to 1", key, value));
  }
  return number;
}

Result<milliseconds> ParseDuration(std::string_view value) {
  size_t unit_at = 0;
  while (unit_at < value.size() &&
         ((value[unit_at] >= '0' && value[unit_at] <= '9') || value[unit_at] == '.')) {
    ++unit_at;
  }
  const std::string_view unit = value.substr(unit_at);
  double scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60000;
  } else {
    return BadSetting(fmt::format("duration=\"{}\" needs a unit: ms, s or m (e.g. 2s)", value));
  }
  Result<double> number = ParseNumber("duration", value.substr(0, unit_at));
  if (!number) return number.error();
  if (*number * scale > 24.0 * 3600 * 1000) {
    return BadSetting(fmt::format("duration={} is longer than a day", value));
  }
  return milliseconds(static_cast<long long>(std::llround(*number * scale)));
}

// A deterministic 64-bit seed for one attempt of one item.
std::uint64_t SeedFor(std::uint64_t seed, const core::PlanItem& item, int attempt) {
  const identity::Sha256Digest digest = identity::Sha256Of(
      fmt::format("{}\n{}\n{}\n{}", seed, item.id, core::ToString(item.action), attempt));
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[static_cast<size_t>(i)];
  return value;
}

// A uniform double in [0, 1) from the generator's 53 high bits (same on every platform, unlike
// std::uniform_real_distribution).
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

Result<SimBehaviour> ParseSimBehaviour(std::string_view description) {
  SimBehaviour behaviour;
  size_t at = description.find(kToken);
  while (at != std::string_view::npos && at > 0 && description[at - 1] != ' ' &&
         description[at - 1] != '\t' && description[at - 1] != '\n' && description[at - 1] != '(' &&
         description[at - 1] != ';') {
    at = description.find(kToken, at + 1);  // "prism:" is not the token
  }
  if (at == std::string_view::npos) return behaviour;
  std::string_view settings = description.substr(at + kToken.size());
  settings = settings.substr(0, std::min(settings.find_first_of(" \t\r\n)"), settings.size()));
  while (!settings.empty()) {
    const size_t comma = settings.find(',');
    const std::string_view setting = settings.substr(0, comma);
    settings = comma == std::string_view::npos ? std::string_view() : settings.substr(comma + 1);
    if (setting.empty()) continue;
    const size_t equals = setting.find('=');
    if (equals == std::string_view::npos) {
      return BadSetting(fmt::format("\"{}\" is not key=value", setting));
    }
    const std::string_view key = setting.substr(0, equals);
    const std::string_view value = setting.substr(equals + 1);
    if (key == "duration") {
      Result<milliseconds> duration = ParseDuration(value);
      if (!duration) return duration.error();
      behaviour.duration = *duration;
    } else if (key == "jitter") {
      Result<double> jitter = ParseFraction(key, value);
      if (!jitter) return jitter.error();
      behaviour.jitter = *jitter;
    } else if (key == "failureRate") {
      Result<double> rate = ParseFraction(key, value);
      if (!rate) return rate.error();
      behaviour.failure_rate = *rate;
    } else if (key == "exitCode") {
      int code = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
      if (ec != std::errc() || value.empty() || end != value.data() + value.size()) {
        return BadSetting(fmt::format("exitCode=\"{}\" is not an integer", value));
      }
      behaviour.exit_code = code;
    } else {
      return BadSetting(
          fmt::format("unknown setting \"{}\" (known: duration, jitter, "
                      "failureRate, exitCode)",
                      key));
    }
  }
  return behaviour;
}

SimExecutor::SimExecutor(SimExecutorOptions options)
    : options_(std::move(options)), installed_(options_.installed) {
  if (!options_.sleep) {
    options_.sleep = [](milliseconds duration) { std::this_thread::sleep_for(duration); };
  }
}

SimExecutor::Draw SimExecutor::DrawFor(const core::PlanItem& item, const SimBehaviour& behaviour,
                                       int attempt) const {
  std::mt19937_64 rng(SeedFor(options_.seed, item, attempt));
  const double spread = Uniform(rng) * 2 - 1;  // [-1, 1)
  const double fail_draw = Uniform(rng);
  Draw draw;
  const double ms =
      static_cast<double>(behaviour.duration.count()) * (1 + behaviour.jitter * spread);
  draw.duration = milliseconds(std::max<long long>(0, std::llround(ms)));
  draw.fails = fail_draw < behaviour.failure_rate;
  return draw;
}

Result<ItemResult> SimExecutor::Apply(const core::PlanItem& item, const Payloads& payloads,
                                      const ApplyContext& context, const ProgressFn& progress) {
  const auto missing = [&] {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{} \"{}\" ({}): its payload was not given to the executor",
                                 core::ToString(item.kind), item.display_name, item.id),
                     item.id);
  };
  switch (item.kind) {
    case core::ItemKind::kApp: {
      const core::App* app = payloads.FindApp(item.id);
      if (app == nullptr) return missing();
      return Run(item, fmt::format("app \"{}\" ({})", app->display_name, item.id), app->description,
                 app, context, progress);
    }
    case core::ItemKind::kPolicy: {
      const core::Policy* policy = payloads.FindPolicy(item.id);
      if (policy == nullptr) return missing();
      return Run(item, fmt::format("policy \"{}\" ({})", policy->display_name, item.id),
                 policy->description, nullptr, context, progress);
    }
    case core::ItemKind::kCertificate:
      if (payloads.FindCertificate(item.id) == nullptr) return missing();
      return Run(item, fmt::format("certificate ({})", item.id), "", nullptr, context, progress);
    case core::ItemKind::kNetwork:
      if (payloads.FindNetworkProfile(item.id) == nullptr) return missing();
      return Run(item, fmt::format("network profile ({})", item.id), "", nullptr, context,
                 progress);
    case core::ItemKind::kPreparationStep:
      break;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("\"{}\" ({}) is a Device-preparation step: the driver runs those, "
                               "not an executor",
                               item.display_name, item.id),
                   item.id);
}

Result<ItemResult> SimExecutor::Run(const core::PlanItem& item, std::string_view what,
                                    std::string_view description, const core::App* app,
                                    const ApplyContext& context, const ProgressFn& progress) {
  const bool install = item.action == core::ItemAction::kInstall;
  Result<SimBehaviour> behaviour = ParseSimBehaviour(description);
  if (!behaviour) {
    return ItemResult::Failed(kGenericFailureCode,
                              fmt::format("{}: description: {}", what, behaviour.error().message));
  }
  int attempt = 0;
  {
    std::lock_guard lock(mutex_);
    if (installed_.contains(item.id) == install) {
      return ItemResult::Detected(
          fmt::format("{}: already {} (simulated)", what, install ? "installed" : "absent"));
    }
    attempt = ++attempts_[item.id];
  }
  const Draw draw = DrawFor(item, *behaviour, attempt);
  const milliseconds limit = std::chrono::duration_cast<milliseconds>(
      std::chrono::minutes(std::max(0, item.time_limit_minutes)));
  const bool times_out = limit.count() > 0 && draw.duration > limit;
  const milliseconds wait = times_out ? limit : draw.duration;
  const std::uint64_t total =
      app != nullptr && app->content.size > 0 ? static_cast<std::uint64_t>(app->content.size) : 0;
  const int steps = wait.count() > 0 ? kProgressSteps : 1;
  for (int step = 1; step <= steps; ++step) {
    if (context.stop.stop_requested()) {
      return MakeError(ErrorCode::kAborted, fmt::format("{}: stopped (simulated)", what), item.id);
    }
    const milliseconds slice = wait * step / steps - wait * (step - 1) / steps;
    if (slice.count() > 0) options_.sleep(slice);
    if (progress) progress(total * static_cast<std::uint64_t>(step) / steps, total);
  }
  if (times_out) {
    return ItemResult::Failed(core::kTimeoutErrorCode,
                              fmt::format("{}: ran past its time limit of {} min (simulated)", what,
                                          item.time_limit_minutes));
  }
  const int exit_code = draw.fails ? behaviour->exit_code : 0;
  core::ReturnCodeType type =
      exit_code == 0 ? core::ReturnCodeType::kSuccess : core::ReturnCodeType::kFailed;
  if (app != nullptr) type = core::ClassifyReturnCode(app->return_codes, exit_code);
  if (type == core::ReturnCodeType::kFailed) {
    return ItemResult::Failed(
        exit_code, fmt::format("{}: failed with exit code {} (simulated)", what, exit_code));
  }
  if (type == core::ReturnCodeType::kRetry) {
    return ItemResult::Retry(
        exit_code,
        fmt::format("{}: asked to be run again later (exit code {}, simulated)", what, exit_code));
  }
  const core::RebootKind reboot = core::RebootOf(type);
  {
    std::lock_guard lock(mutex_);
    if (install) {
      installed_.insert(item.id);
    } else {
      installed_.erase(item.id);
    }
  }
  return ItemResult::Succeeded(
      reboot, fmt::format("{}: {}ed in {} ms (exit code {}, simulated)", what,
                          install ? "install" : "uninstall", wait.count(), exit_code));
}

Result<bool> SimExecutor::Detect(const core::PlanItem& item, const Payloads&, const ApplyContext&) {
  std::lock_guard lock(mutex_);
  return installed_.contains(item.id);
}

Result<core::DeviceFacts> SimExecutor::ReadFacts() { return options_.facts; }

}  // namespace groundcrew::executor
