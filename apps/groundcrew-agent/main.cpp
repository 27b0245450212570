// groundcrew-agent: the device agent. Wiring only: `hwid` prints the registration row; `oobe`
// runs the out-of-box flow (src/device/agent/oobe.hpp) with the real executor under --root.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "common/base64.hpp"
#include "common/clock.hpp"
#include "device/agent/answers.hpp"
#include "device/agent/executor_wiring.hpp"
#include "device/agent/hwid.hpp"
#include "device/agent/journal.hpp"
#include "device/agent/oobe.hpp"
#include "device/agent/service_client.hpp"
#include "device/agent/view.hpp"
#include "device/agent/web_view.hpp"
#include "device/executor/local_account.hpp"
#include "identity/device_key.hpp"
#include "identity/secret_box.hpp"

namespace {

struct HwidOptions {
  std::string state_dir = "/var/lib/groundcrew";
  std::string root = "/";
  groundcrew::agent::DeviceFacts overrides;
  std::string group_tag;
  std::string assigned_user;
  bool json = false;
};

int Hwid(const HwidOptions& options) {
  auto fail = [](const groundcrew::Error& error) {
    std::cerr << "groundcrew-agent hwid: " << error.message << "\n";
    return 1;
  };
  auto facts = groundcrew::agent::ReadDeviceFacts(options.root, options.overrides);
  if (!facts) return fail(facts.error());
  auto key = groundcrew::identity::FileDeviceKey::OpenOrCreate(options.state_dir);
  if (!key) return fail(key.error());
  auto public_key = (*key)->PublicKey();
  if (!public_key) return fail(public_key.error());
  if (options.json) {
    auto hash = groundcrew::device::HardwareHash(*facts, *public_key);
    if (!hash) return fail(hash.error());
    const std::string_view key_bytes(reinterpret_cast<const char*>(public_key->data()),
                                     public_key->size());
    std::cout << boost::json::serialize(
                     boost::json::object{{"serialNumber", facts->serial_number},
                                         {"manufacturer", facts->manufacturer},
                                         {"model", facts->model},
                                         {"hardwareHash", groundcrew::base64::Encode(*hash)},
                                         {"publicKey", groundcrew::base64::Encode(key_bytes)},
                                         {"keyFile", (*key)->path().string()}})
              << "\n";
    return 0;
  }
  auto csv = groundcrew::device::RegistrationCsv(*facts, *public_key, options.group_tag,
                                                 options.assigned_user);
  if (!csv) return fail(csv.error());
  std::cout << *csv;
  return 0;
}

struct OobeCommand {
  std::string server;
  std::string ca_file;
  std::string root = "/";
  std::string state_dir = "/var/lib/groundcrew";
  std::string answers_file;
  std::string ui = "auto";
  std::string listen;
  std::string serial;
  bool preprovision = false;
  std::string on_complete;
  int concurrency = 4;
  int network_wait_seconds = 300;
  std::string account_ids;
  std::string test_clock;
};

// What the run ended on, for the terminal once the full-screen view is gone: the screen's
// title and its message, as plain lines.
void PrintSummary(const groundcrew::device::Screen& screen) {
  std::cout << screen.title << "\n";
  if (screen.notice) std::cout << screen.notice->text << "\n";
  for (const groundcrew::device::Field& field : screen.fields) {
    if (field.label == "Error") std::cout << field.label << ": " << field.value << "\n";
  }
}

int Oobe(const OobeCommand& command) {
  using groundcrew::agent::OobeExit;
  auto usage = [](const groundcrew::Error& error) {
    std::cerr << "groundcrew-agent oobe: " << (error.field.empty() ? "" : error.field + ": ")
              << error.message << "\n";
    return static_cast<int>(OobeExit::kUsage);
  };
  // --ui auto: the full screen on a terminal, plain lines otherwise (a log, a pipe).
  std::string kind = command.ui;
  if (kind == "auto") {
    kind = ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0 ? "terminal" : "plain";
  }
  if (kind != "terminal" && kind != "plain" && kind != "json" && kind != "web") {
    return usage(groundcrew::MakeError(groundcrew::ErrorCode::kInvalidArgument,
                                       "must be auto, terminal, web, plain or json", "--ui"));
  }
  if (!command.listen.empty() && kind != "web") {
    return usage(groundcrew::MakeError(groundcrew::ErrorCode::kInvalidArgument,
                                       "serves the web view: give it with --ui web", "--listen"));
  }
  const std::string listen = command.listen.empty() ? "127.0.0.1:0" : command.listen;
  if (kind == "web") {  // checked before anything is written to the state folder
    if (auto address = groundcrew::agent::ParseLoopbackListen(listen); !address) {
      return usage(address.error());
    }
  }
  groundcrew::agent::OobeOptions options;
  options.root = command.root;
  options.state = command.state_dir;
  options.preprovision = command.preprovision;
  options.on_complete = command.on_complete;
  options.concurrency = std::max(1, command.concurrency);
  options.network_wait = std::chrono::seconds(std::max(1, command.network_wait_seconds));
  if (!command.account_ids.empty()) {
    auto ids = groundcrew::executor::ParseIdRange(command.account_ids, "--account-ids");
    if (!ids) return usage(ids.error());
    options.account_ids = *ids;
  }
  if (!command.answers_file.empty()) {
    auto answers = groundcrew::agent::ReadAnswers(command.answers_file);
    if (!answers) return usage(answers.error());
    options.answers = std::move(*answers);
  }
  std::string serial = command.serial;
  if (serial.empty()) {
    auto facts = groundcrew::agent::ReadDeviceFacts("/", {});
    if (!facts) return usage(facts.error());
    serial = facts->serial_number;
  }
  auto key = groundcrew::identity::FileDeviceKey::OpenOrCreate(command.state_dir);
  if (!key) return usage(key.error());
  // The CA received at enrollment is trusted when no --ca is given.
  std::string ca_file = command.ca_file;
  if (ca_file.empty() && std::filesystem::exists(options.state / "ca.pem") &&
      command.server.starts_with("https://")) {
    ca_file = (options.state / "ca.pem").string();
  }
  auto service = groundcrew::agent::ServiceClient::Create(command.server, ca_file, **key, serial);
  if (!service) return usage(service.error());
  std::error_code ec;
  std::filesystem::create_directories(options.root, ec);  // installers run in it
  if (ec) {
    return usage(groundcrew::MakeError(groundcrew::ErrorCode::kUnavailable,
                                       "cannot create " + command.root + ": " + ec.message(),
                                       "--root"));
  }
  // The journal's secrets are sealed under a key only this device key gives.
  auto sealing_key = groundcrew::identity::DeriveSealingKey(**key, "journal");
  if (!sealing_key) return usage(sealing_key.error());
  auto journal = groundcrew::agent::Journal::Open(command.state_dir, *sealing_key);
  if (!journal) return usage(journal.error());

  groundcrew::agent::HttpContentSource content(**service);
  groundcrew::executor::RealExecutor executor(
      options.root, options.state, content, groundcrew::agent::ServiceCertificateIssuer(**service),
      [](std::string_view, std::string_view) {});
  options.read_facts = [&executor] { return executor.ReadFacts(); };
  options.pending_installers = [&executor] { return executor.PendingInstallers(); };
  const groundcrew::agent::RunnerFactory runners =
      groundcrew::agent::ExecutorRunners(executor, serial, options.root);
  const groundcrew::Clock clock = groundcrew::FileClock(command.test_clock);
  // The view last: every usage error above is printed on a plain terminal.
  std::unique_ptr<groundcrew::agent::View> view;
  groundcrew::agent::WebView* web = nullptr;
  if (kind == "terminal") {
    auto terminal = groundcrew::agent::MakeTerminalView();
    if (!terminal) return usage(terminal.error());
    view = std::move(*terminal);
  } else if (kind == "web") {
    auto started = groundcrew::agent::WebView::Start(listen, options.state);
    if (!started) return usage(started.error());
    web = started->get();
    // The address carries the run's token: it is for the device's own screen (the kiosk reads
    // it from STATE/oobe-web.url).
    std::cout << "OOBE: " << web->url() << std::endl;
    view = std::move(*started);
  } else {
    view = groundcrew::agent::MakeLogView(kind, std::cout);
  }
  groundcrew::device::Screen last;
  const OobeExit exit =
      groundcrew::agent::RunOobe(options, **service, *journal, *view, runners, clock, &last);
  if (web != nullptr) {
    web->End(static_cast<int>(exit), /*oobe_over=*/exit != OobeExit::kRebootRequested);
    PrintSummary(last);
  }
  if (kind == "terminal") {
    view.reset();  // back to the terminal as it was; then what the run ended on
    PrintSummary(last);
  }
  return static_cast<int>(exit);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundcrew-agent: the groundcrew device agent"};
  app.require_subcommand(1);
  HwidOptions hwid;
  CLI::App* hwid_cmd = app.add_subcommand(
      "hwid",
      "Print this device's registration row (Microsoft's CSV format, with its header) for\n"
      "`groundcrew devices import`. The hardware hash carries the serial number, manufacturer,\n"
      "model and the public half of the device's Ed25519 key, which is created once in the\n"
      "state directory (device.key, mode 0600) and never leaves the device.");
  hwid_cmd->add_option("--state", hwid.state_dir, "the agent's state directory")
      ->capture_default_str();
  hwid_cmd->add_option("--root", hwid.root, "where the firmware tables are read (tests)")
      ->capture_default_str();
  hwid_cmd->add_option("--serial", hwid.overrides.serial_number,
                       "serial number (default: /sys/class/dmi/id/product_serial)");
  hwid_cmd->add_option("--manufacturer", hwid.overrides.manufacturer,
                       "manufacturer (default: /sys/class/dmi/id/sys_vendor)");
  hwid_cmd->add_option("--model", hwid.overrides.model,
                       "model (default: /sys/class/dmi/id/product_name)");
  hwid_cmd->add_option("--group-tag", hwid.group_tag, "the row's Group Tag");
  hwid_cmd->add_option("--assigned-user", hwid.assigned_user, "the row's Assigned User (UPN)");
  hwid_cmd->add_flag("--json", hwid.json, "print the serial number, hash and key as JSON");
  int code = 0;
  hwid_cmd->callback([&] { code = Hwid(hwid); });

  OobeCommand oobe;
  CLI::App* oobe_cmd = app.add_subcommand(
      "oobe",
      "Run the out-of-box flow against the service: the technician flow (pre-provisioning,\n"
      "then Reseal) with --preprovision or \"technician\": true in the answers file, the user\n"
      "flow on a resealed device. Changes are applied under --root; the device key, the\n"
      "checkpoint journal, content and logs are kept in --state. Killed or restarted, it\n"
      "resumes where it stopped. Exit codes: 0 done (resealed, or the desktop), 1 failed or\n"
      "refused, 2 usage, 3 an app asked for a restart (run again), 4 the device was reset.");
  oobe_cmd->add_option("--server", oobe.server, "the service's URL")->required();
  oobe_cmd->add_option("--ca", oobe.ca_file,
                       "PEM CA bundle to trust for https:// (default: the CA received at "
                       "enrollment, then the system's)");
  oobe_cmd->add_option("--root", oobe.root, "where changes are applied")->capture_default_str();
  oobe_cmd->add_option("--state", oobe.state_dir, "the agent's state directory")
      ->capture_default_str();
  oobe_cmd->add_option("--answers", oobe.answers_file,
                       "JSON file answering every screen (src/device/agent/answers.hpp)");
  oobe_cmd
      ->add_option("--ui", oobe.ui,
                   "auto (terminal on a terminal, else plain), terminal (full screen, waits for "
                   "the person's decisions), web (a page for a browser on this device, see "
                   "--listen), plain (a line per change, for logs) or json (one object per "
                   "change, for tools)")
      ->capture_default_str();
  oobe_cmd->add_option("--listen", oobe.listen,
                       "with --ui web: the loopback address and port to serve the page on "
                       "(default 127.0.0.1:0, any free port); the page's address, with the "
                       "run's token, is printed and written to STATE/oobe-web.url (0600)");
  oobe_cmd->add_option("--serial", oobe.serial,
                       "serial number (default: /sys/class/dmi/id/product_serial)");
  oobe_cmd->add_flag("--preprovision", oobe.preprovision,
                     "the technician key sequence: run the technician flow");
  oobe_cmd->add_option("--on-complete", oobe.on_complete,
                       "command run with /bin/sh when the desktop appears");
  oobe_cmd->add_option("--concurrency", oobe.concurrency, "items installing at once")
      ->capture_default_str();
  oobe_cmd
      ->add_option("--network-wait", oobe.network_wait_seconds,
                   "seconds to wait for the service before giving up")
      ->capture_default_str();
  oobe_cmd
      ->add_option("--account-ids", oobe.account_ids,
                   "FIRST-LAST: the user ids the signed-in user's local account may take (its "
                   "personal group takes the same id; default UID_MIN-UID_MAX of "
                   "ROOT/etc/login.defs, else 1000-59999)")
      ->type_name("FIRST-LAST");
  // Hidden (no group): the clock of the ESP (phase clocks, item limits, TOTP codes) from a file.
  oobe_cmd
      ->add_option("--test-clock", oobe.test_clock,
                   "FOR TESTS ONLY: read the current time (Unix seconds) from this file on "
                   "every use")
      ->type_name("FILE")
      ->group("");
  oobe_cmd->callback([&] { code = Oobe(oobe); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int exit = app.exit(e);
    return exit == 0 ? 0 : 2;
  }
  return code;
}
