#include "device/executor/device_root.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <deque>
#include <system_error>
#include <vector>

#include "common/text.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

constexpr size_t kKeptOutputBytes = 16 * 1024;

std::string FormatLimit(std::chrono::milliseconds limit) {
  const long long ms = limit.count();
  if (ms % 60000 == 0) return fmt::format("{} min", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

}  // namespace

std::string ShellQuote(std::string_view word) {
  const bool safe = !word.empty() && word.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-+=.,/:@%") == std::string_view::npos;
  if (safe) return std::string(word);
  std::string quoted = "'";
  for (const char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

std::string ToolOutcome::LastLine() const {
  std::string_view rest = output;
  while (!rest.empty()) {
    const size_t end = rest.find_last_not_of("\n\r\t ");
    if (end == std::string_view::npos) return {};
    rest = rest.substr(0, end + 1);
    const size_t start = rest.rfind('\n');
    const std::string_view line =
        text::Trim(start == std::string_view::npos ? rest : rest.substr(start + 1));
    if (!line.empty()) return std::string(line);
    rest = start == std::string_view::npos ? std::string_view() : rest.substr(0, start);
  }
  return {};
}

std::string ToolOutcome::Describe() const {
  switch (outcome.end) {
    case ShellOutcome::End::kExited: {
      const std::string last = LastLine();
      return last.empty() ? fmt::format("exit status {}", outcome.exit_code)
                          : fmt::format("exit status {}: {}", outcome.exit_code, last);
    }
    case ShellOutcome::End::kSignaled:
    case ShellOutcome::End::kVanished:
      return fmt::format("killed by signal {}", outcome.signal);
    case ShellOutcome::End::kTimedOut:
      return fmt::format("timed out after {}", FormatLimit(outcome.elapsed));
    case ShellOutcome::End::kStopped:
      return "stopped";
  }
  return "ended";
}

DeviceRoot::DeviceRoot(fs::path root, std::string path_env) : path_env_(std::move(path_env)) {
  std::error_code ec;
  fs::path absolute = fs::absolute(root, ec);
  if (ec) absolute = root;
  absolute = absolute.lexically_normal();
  if (!absolute.has_filename() && absolute != absolute.root_path()) {
    absolute = absolute.parent_path();  // "/tmp/root/" -> "/tmp/root"
  }
  root_ = absolute;
}

bool DeviceRoot::IsSystemRoot() const { return root_ == root_.root_path(); }

fs::path DeviceRoot::Under(std::string_view relative) const {
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  return root_ / relative;
}

fs::path DeviceRoot::Resolve(std::string_view relative) const {
  if (IsSystemRoot()) return Under(relative);
  constexpr int kMaxLinks = 40;
  std::deque<std::string> todo;
  for (const fs::path& part : fs::path(relative)) todo.push_back(part.string());
  std::vector<std::string> done;  // resolved components under the root
  auto joined = [&] {
    fs::path path = root_;
    for (const std::string& part : done) path /= part;
    return path;
  };
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == "." || part == "/") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    const fs::path candidate = joined() / part;
    std::error_code ec;
    if (links < kMaxLinks && fs::is_symlink(candidate, ec)) {
      const fs::path target = fs::read_symlink(candidate, ec);
      if (!ec) {
        ++links;
        if (target.is_absolute()) done.clear();
        std::vector<std::string> parts;
        for (const fs::path& p : target) parts.push_back(p.string());
        todo.insert(todo.begin(), parts.begin(), parts.end());
        continue;
      }
    }
    done.push_back(std::move(part));
  }
  return joined();
}

bool DeviceRoot::HasTool(std::string_view tool) const {
  if (tool.empty() || tool.find('/') != std::string_view::npos) return false;
  for (const std::string_view dir :
       {"usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"}) {
    const fs::path candidate = Resolve(fmt::format("{}/{}", dir, tool));
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

Result<ToolOutcome> DeviceRoot::Run(const ToolRun& run) const {
  if (run.argv.empty() || run.argv.front().empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no tool to run", "argv");
  }
  std::string command = "exec";
  if (!IsSystemRoot()) command += " chroot " + ShellQuote(root_.string());
  for (const std::string& arg : run.argv) command += " " + ShellQuote(arg);
  std::vector<std::string> environment = {"PATH=" + path_env_, "LC_ALL=C",
                                          "DEBIAN_FRONTEND=noninteractive"};
  environment.insert(environment.end(), run.environment.begin(), run.environment.end());
  ToolOutcome result;
  const ShellCommand shell{command, "/", std::move(environment), run.time_limit, run.stop};
  Result<ShellOutcome> outcome = RunShell(shell, [&](std::string_view line) {
    result.output.append(line);
    result.output.push_back('\n');
    if (result.output.size() > 2 * kKeptOutputBytes) {
      result.output.erase(0, result.output.size() - kKeptOutputBytes);
    }
    if (run.on_line) run.on_line(line);
  });
  if (!outcome) return outcome.error();
  if (result.output.size() > kKeptOutputBytes) {
    result.output.erase(0, result.output.size() - kKeptOutputBytes);
  }
  result.outcome = *outcome;
  return result;
}

}  // namespace groundcrew::executor
